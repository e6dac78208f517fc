"""Large and mutated inventories made from the shipped ``inventory.toml``, for the fuzzer, the
20,000-device check test and ``benchmarks/inventory.py``. Addresses are RFC 5737 / private
placeholders in text only: nothing here is ever polled."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

SHIPPED = Path(__file__).resolve().parent.parent / "inventory.toml"

_DEVICE = re.compile(r"^\[\[device\]\]\s*$", re.MULTILINE)


def split_shipped(text: str | None = None) -> tuple[str, list[str]]:
    """The shipped file as (everything before the first [[device]], each device's block)."""
    text = SHIPPED.read_text(encoding="utf-8") if text is None else text
    starts = [m.start() for m in _DEVICE.finditer(text)]
    if not starts:
        return text, []
    head = text[: starts[0]]
    blocks = [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)]
    return head, blocks


def big_inventory(devices: int) -> str:
    """The shipped fleet's head and devices repeated to ``devices`` entries, each with a
    unique name and address."""
    head, blocks = split_shipped()
    base = int(ipaddress.IPv4Address("10.0.0.1"))
    out = [head]
    for n in range(devices):
        block = blocks[n % len(blocks)]
        block = re.sub(r'^name = "([^"]+)"', rf'name = "\1-{n}"', block, count=1, flags=re.M)
        address = ipaddress.IPv4Address(base + n)
        block = re.sub(r'^address = "[^"]+"', f'address = "{address}"', block, count=1, flags=re.M)
        out.append(block)
    return "".join(out)
