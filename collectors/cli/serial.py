"""The box's own serial out of a parts listing (``display device manuinfo`` on Comware).

The listing gives one row per part (chassis, slot, fan, power ...), each with a serial; the
vendor profile's ``[serial]`` table says which part stands for the box (``parts``, in order of
preference). Within a part the lowest chassis, then the lowest number wins: on a stack that is
member 1, which stays member 1 when the master role moves, so the serial does not flip-flop
and a change really means new hardware.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# What a part prints when it has no serial to give (Comware prints NONE for absent MACs and
# serials alike).
NO_SERIAL = {"", "NONE", "N/A", "NA", "-"}
# The block before any header is the box describing itself (Comware 7 simware prints its own
# block first, without a `Chassis self` line).
UNNAMED_PART = "chassis"


def _number(text: str | None) -> int:
    return int(text) if text and text.isdigit() else -1


def chassis_serial(rows: Iterable[dict[str, str]], parts: Sequence[str]) -> str | None:
    """The serial of the preferred part, or None when no preferred part printed one."""
    preference = {part.lower(): rank for rank, part in enumerate(parts)}
    candidates: list[tuple[int, int, int, str]] = []
    for row in rows:
        part = (row.get("part") or "").lower() or UNNAMED_PART
        serial = (row.get("serial") or "").strip()
        if part not in preference or serial.upper() in NO_SERIAL:
            continue
        candidates.append(
            (preference[part], _number(row.get("chassis")), _number(row.get("number")), serial)
        )
    return min(candidates)[3] if candidates else None
