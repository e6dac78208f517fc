"""Executemany of a compiled Core statement with rows given as tuples.

``session.execute(statement, rows)`` costs SQLAlchemy ~7 us per row and parameter set before
the driver sees it: it rebuilds a parameter dict per row (``construct_params``) and calls
each column type's bind processor per value. The store's fold writes ~150 roll-up, port-state
and episode rows per 48-port poll, so at 5,000 switches that bookkeeping was a fifth of the
daemon's CPU (``py-spy record --gil`` during ``benchmarks/scale.py --devices 5000``), more than
SQLite's own work, which releases the GIL.

``BulkStatement`` compiles the statement once per dialect, learns from the compiled form the
driver's parameter order (SQLite: positional ``?``) or names (psycopg: ``%(name)s``), and takes
the bind processors from the same column types SQLAlchemy would use (``dialect_impl(dialect)
.bind_processor(dialect)``), so what reaches the driver is what Core would have sent
(tests/store/test_bulk.py compares the stored rows of both paths on SQLite and PostgreSQL).
Date and time values repeat across a batch's rows (a poll's 48 ports share its time, a
batch's buckets a few hours), so each distinct one is processed once per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Date, DateTime, Time, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any]


class BulkStatement:
    """``statement`` compiled for ``dialect``, executed with rows as tuples in ``names``' order
    (the statement's bind parameter names; for an INSERT, the column keys)."""

    def __init__(self, statement: ClauseElement, names: Sequence[str], dialect: Dialect) -> None:
        self.names = tuple(names)
        compiled = statement.compile(dialect=dialect, column_keys=list(self.names))
        binds = compiled.binds
        unknown = sorted(set(binds) - set(self.names))
        if unknown:
            # A bind the rows do not fill (a literal in the statement, a misspelt name) would
            # reach the driver unset: refuse it here, when the statement is first prepared.
            raise ValueError(f"statement has parameters the rows do not give: {unknown}")
        self.sql = compiled.string
        self.positional = bool(compiled.positional)
        position = {name: index for index, name in enumerate(self.names)}
        # Positional drivers take the values in the compiled order (a name may repeat);
        # named ones take a dict, in any order.
        self.order = tuple(
            position[name] for name in (compiled.positiontup or ()) if self.positional
        )
        self.processors: tuple[Processor | None, ...] = tuple(
            _processor(binds[name].type, dialect) if name in binds else None for name in self.names
        )
        self.memoised = tuple(
            name in binds and _is_temporal(binds[name].type) for name in self.names
        )

    def execute(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        # Column by column: each processor mapped over its column, then the rows zipped back
        # in the driver's order (C loops; a loop per row and value cost as much as Core).
        # Rows of unequal length fail here; the columns zipped back below are then all equal.
        columns: list[Any] = list(zip(*rows, strict=True))
        for index, (processor, memo) in enumerate(zip(self.processors, self.memoised, strict=True)):
            if processor is not None:
                columns[index] = map(_memoised(processor) if memo else processor, columns[index])
        if self.positional:
            parameters: list[Any] = list(zip(*(columns[i] for i in self.order), strict=False))
        else:
            names = self.names
            parameters = [
                dict(zip(names, values, strict=True)) for values in zip(*columns, strict=False)
            ]
        connection.exec_driver_sql(self.sql, parameters)


def _processor(type_: Any, dialect: Dialect) -> Processor | None:
    processor: Processor | None = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor


def _is_temporal(type_: Any) -> bool:
    """Whether a column type holds dates or times (a TypeDecorator by what it decorates)."""
    base = type_.impl_instance if isinstance(type_, TypeDecorator) else type_
    return isinstance(base, (Date, DateTime, Time))


def _memoised(processor: Processor | None) -> Processor | None:
    """``processor`` remembering its answer per value, for one call's rows."""
    if processor is None:
        return None
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            result = seen[value] = processor(value)
            return result

    return convert
