"""Which kind of signature library a name is (ips, av, url, ...), from the words the boxes print.

Its own module, outside ``collectors.drivers``, because the documents and ``agent.signatures``
need only this lookup: importing the drivers package loads NAPALM, netmiko and paramiko
(about half a second of a report's start-up).
"""

from __future__ import annotations

import re

# Library names as the boxes print them -> the kind of library netmon reports. First match
# wins, so the more specific words come first ("anti-spam" before "av").
LIBRARY_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("spam", re.compile(r"spam|垃圾邮件", re.I)),
    ("audit", re.compile(r"audit|审计", re.I)),
    ("ids", re.compile(r"\bids\b|ids-|入侵检测", re.I)),
    ("ips", re.compile(r"\bips\b|ips-|入侵防御", re.I)),
    ("av", re.compile(r"\bav\b|av-|virus|病毒", re.I)),
    ("url", re.compile(r"url|网址", re.I)),
    ("app", re.compile(r"\bapp|应用", re.I)),
    ("engine", re.compile(r"engine|引擎", re.I)),
)


def library_kind(name: str) -> str:
    """ips / ids / av / url / app / spam / audit / engine, or "other" for a name we do not know."""
    for kind, pattern in LIBRARY_KINDS:
        if pattern.search(name):
            return kind
    return "other"
