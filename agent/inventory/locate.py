"""Line numbers for TOML keys, which tomllib does not keep.

The text is cut into sections at its table headers (``[defaults.snmp]``, ``[[device]]``, ...);
each section knows its table path, with array-of-tables entries numbered in order, so
``("device", 3, "snmp", "community")`` can be looked up as the ``community =`` line of the
fourth ``[[device]]`` (inline table or ``[device.snmp]`` sub-table alike). This is a
line-oriented scan, not a TOML parser: good enough to point an operator at the right line, and
it falls back to the entry's header line when a key cannot be found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Path = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY_PART = re.compile(r"\"([^\"]*)\"|'([^']*)'|([A-Za-z0-9_-]+)")
_ASSIGNMENT = re.compile(r"^\s*((?:(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*\.?\s*)+?)\s*=")


def _key_parts(text: str) -> tuple[str, ...]:
    return tuple(a or b or c for a, b, c in _KEY_PART.findall(text))


@dataclass(frozen=True)
class _Section:
    path: Path
    first: int  # 1-based line of the header (1 for the root section)
    last: int


class LineLocator:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.sections: list[_Section] = []
        array_counts: dict[str, int] = {}
        current: Path = ()
        start = 1
        for number, line in enumerate(self.lines, start=1):
            match = _HEADER.match(line)
            if not match:
                continue
            self.sections.append(_Section(current, start, number - 1))
            parts = _key_parts(match.group(2))
            if not parts:
                continue
            if match.group(1) == "[[":
                array_counts[parts[0]] = array_counts.get(parts[0], 0) + 1
            if parts[0] in array_counts:
                current = (parts[0], array_counts[parts[0]] - 1, *parts[1:])
            else:
                current = parts
            start = number
        self.sections.append(_Section(current, start, len(self.lines)))
        # Section indexes by exact path, so a lookup visits only the sections that can hold
        # the key (a 20,000-device file would otherwise cost a scan of every section per key).
        self._by_path: dict[Path, list[int]] = {}
        for index, section in enumerate(self.sections):
            self._by_path.setdefault(section.path, []).append(index)
        self._first_under: dict[Path, int] | None = None
        self._found: dict[Path, int | None] = {}  # the checker asks for the same key often
        self._assignments: dict[int, tuple[tuple[str, ...], int] | None] = {}
        self._keyed: dict[int, dict[str, list[int]]] = {}  # section -> first key -> lines

    def line_of(self, path: Path) -> int | None:
        """The line that best matches ``path``: the key itself, or the closest enclosing one."""
        path = tuple(path)
        if path not in self._found:
            self._found[path] = self._line_of(path)
        return self._found[path]

    def _line_of(self, path: Path) -> int | None:
        best_line: int | None = None
        best_depth = -1
        candidates = sorted(
            index for depth in range(len(path) + 1) for index in self._by_path.get(path[:depth], ())
        )
        for index in candidates:
            section = self.sections[index]
            depth = len(section.path)
            if depth > best_depth and (depth or not path):
                best_line, best_depth = section.first, depth
            rest: list[str] = []
            for part in path[depth:]:
                if not isinstance(part, str):
                    break
                rest.append(part)
            if not rest:
                continue
            for number in self._lines_keyed(index, rest[0]):
                line, found = self._match(number, rest)
                if line is not None and depth + found > best_depth:
                    best_line, best_depth = line, depth + found
        if best_line is None and path:
            # Only sub-tables name it, e.g. `[vendors.cisco.snmp]` for ("vendors", "cisco").
            return self._first_section_under().get(path)
        return best_line

    def _first_section_under(self) -> dict[Path, int]:
        """Path prefix -> header line of the first section inside it (built once, on need)."""
        if self._first_under is None:
            self._first_under = {}
            for section in self.sections:
                for depth in range(1, len(section.path) + 1):
                    self._first_under.setdefault(section.path[:depth], section.first)
        return self._first_under

    def _lines_keyed(self, index: int, first: str) -> list[int]:
        """The lines of section ``index`` whose key starts with ``first`` (indexed once per
        section, so a lookup does not rescan the section's lines)."""
        keyed = self._keyed.get(index)
        if keyed is None:
            keyed = self._keyed[index] = {}
            section = self.sections[index]
            for number in range(section.first, section.last + 1):
                assignment = self._assignment(number)
                if assignment is not None and assignment[0]:
                    keyed.setdefault(assignment[0][0], []).append(number)
        return keyed.get(first, [])

    def _assignment(self, number: int) -> tuple[tuple[str, ...], int] | None:
        """The key parts assigned on line ``number`` and where its value starts (cached)."""
        if number not in self._assignments:
            match = _ASSIGNMENT.match(self.lines[number - 1])
            self._assignments[number] = (
                None if match is None else (_key_parts(match.group(1)), match.end())
            )
        return self._assignments[number]

    def _match(self, number: int, rest: list[str]) -> tuple[int | None, int]:
        """How many leading parts of ``rest`` the key on line ``number`` names."""
        assignment = self._assignment(number)
        if assignment is None:
            return None, 0
        keys, end = assignment
        if tuple(rest[: len(keys)]) != keys:
            return None, 0
        found = len(keys)
        # An inline table on the same line: `snmp = { port = 70000 }`.
        tail = self.lines[number - 1][end:]
        for part in rest[found:]:
            if not re.search(rf"(?:^|[{{,\s])\"?{re.escape(part)}\"?\s*=", tail):
                break
            found += 1
        return number, found
