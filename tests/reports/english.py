"""Finding English left in a Chinese document: ASCII words that are not proper names, model
names, units or versions. The caller removes the values that came from the data (device
names, versions, licence features, engineers' notes) before asking."""

from __future__ import annotations

import re

# Names and abbreviations a Chinese document writes in Latin letters.
ALLOWED = {
    "CPU",
    "SNMP",
    "SSH",
    "URL",
    "VPN",
    "IPS",
    "IDS",
    "H3C",
    "UTC",
    "netmon",
    "Asia",
    "Shanghai",
}
WORD = re.compile(r"[A-Za-z][A-Za-z0-9]+")
VERSION = re.compile(r"^v\d+$")


def english_words(text: str, data_values: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """ASCII words in ``text`` once the data's own values are taken out (longest first, so a
    name containing another is removed whole)."""
    for value in sorted((v for v in data_values if v), key=len, reverse=True):
        text = text.replace(value, " ")
    return [word for word in WORD.findall(text) if word not in ALLOWED and not VERSION.match(word)]
