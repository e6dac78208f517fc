"""When a device's uplink was down, for the documents (the daily report's "uplinks down").

Which ports are uplinks and which of them went down is decided once, in
``agent.reports.data._interface_problems`` (the inventory's uplink role, stored on the device
since migration 0007; a port shut by the operator is never down): the same
``InterfaceProblem`` rows make the monthly report's interface findings. This module adds the
times, from the hourly interface roll-ups (no raw polls): the spell runs from the start of
the first hour with a down poll to the end of the last one, so both ends are exact to the
hour, which the document says. The port's stored newest state (``interface_states``) tells
whether it is still down when the document is made.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, Subquery, and_, func, select
from sqlalchemy.orm import Session

from agent.reports.document import Paragraph, Section, Table
from agent.reports.text import Text
from agent.store.models import Device, InterfaceHourly, InterfaceState

if TYPE_CHECKING:  # data.py reads the spells through this module: no import cycle at run time
    from agent.reports.data import InterfaceProblem

HOUR = dt.timedelta(hours=1)


def with_port_state(query: Select[Any], ports: Subquery) -> Select[Any]:
    """``query`` with each port of ``ports`` (a subquery with ``device_id`` and ``if_index``)
    joined to its newest stored state (``interface_states``: name, alias, up/down); a port
    with no stored state keeps its row, with NULLs. One join for the interface findings, the
    unused ports and the uplinks' spells, so they read the same port the same way."""
    return query.outerjoin(
        InterfaceState,
        and_(
            InterfaceState.device_id == ports.c.device_id,
            InterfaceState.if_index == ports.c.if_index,
        ),
    )


@dataclass(frozen=True)
class UplinkDown:
    """An uplink that was down in the period: the first and last hour with a down poll."""

    port: InterfaceProblem
    # Starts of the first and last hour with a down poll; None when the hourly roll-ups of
    # the period are no longer kept ([retention] interface_hourly_days): the port is still
    # listed, from the daily figures, without times.
    first_hour: dt.datetime | None
    last_hour: dt.datetime | None
    still_down: bool  # down when the document was made (or at the period's end)

    @property
    def came_back(self) -> dt.datetime | None:
        """No later than the end of the last hour with a down poll; None while down or when
        the hours are not known."""
        if self.still_down or self.last_hour is None:
            return None
        return self.last_hour + HOUR


def uplinks_down(
    session: Session,
    interfaces: Sequence[InterfaceProblem],
    start: dt.datetime,
    end: dt.datetime,
    until: dt.datetime,
) -> list[UplinkDown]:
    """The uplinks among ``interfaces`` (the period's port problems) that went down in
    ``[start, end)``, with their hours; ``until``: when the document was made, or the
    period's end if earlier."""
    ports = {(p.device, p.if_index): p for p in interfaces if p.uplink and p.down_samples}
    if not ports:
        return []
    down_hours = (
        select(
            InterfaceHourly.device_id,
            InterfaceHourly.if_index,
            func.min(InterfaceHourly.hour_start).label("first"),
            func.max(InterfaceHourly.hour_start).label("last"),
        )
        .where(
            InterfaceHourly.hour_start >= start,
            InterfaceHourly.hour_start < end,
            InterfaceHourly.down_samples > 0,
        )
        .group_by(InterfaceHourly.device_id, InterfaceHourly.if_index)
        .subquery()
    )
    query = with_port_state(
        select(
            Device.name,
            down_hours.c.if_index,
            down_hours.c.first,
            down_hours.c.last,
            InterfaceState.oper_up,
            InterfaceState.admin_up,
            InterfaceState.sampled_at,
        ).join(Device, down_hours.c.device_id == Device.id),
        down_hours,
    ).where(Device.name.in_(sorted({device for device, _ in ports})))
    found = []
    for name, if_index, first, last, oper_up, admin_up, sampled_at in session.execute(query):
        port = ports.get((name, if_index))
        if port is None:
            continue
        # Down at ``until`` when nothing since its last down hour says it came back: the
        # newest poll is that hour's and says down; or there are newer polls (a past
        # period's document) and that hour is the period's last, so it was down to the end.
        # Otherwise it was back by the end of that hour.
        end_of_last = last + HOUR
        newest_down = oper_up is False and admin_up is not False
        still_down = (sampled_at is None or sampled_at < end_of_last) and newest_down
        still_down = still_down or (
            sampled_at is not None and sampled_at >= end_of_last and end_of_last >= until
        )
        found.append(UplinkDown(port, first, last, still_down))
    timed = {(row.port.device, row.port.if_index) for row in found}
    found += [
        UplinkDown(port, None, None, False) for key, port in ports.items() if key not in timed
    ]
    found.sort(key=lambda row: (row.first_hour or start, row.port.device, row.port.name))
    return found


def add_uplinks(section: Section, rows: list[UplinkDown], text: Text) -> None:
    """The uplinks that were down, with when (to the hour) and whether they came back."""
    if not rows:
        section.add(Paragraph(text("uplinks.none")))
        return
    section.add(
        Table(
            (
                text("events.device"),
                text("interfaces.name"),
                text("uplinks.down_from"),
                text("uplinks.back_by"),
                text("interfaces.down"),
            ),
            tuple(
                (
                    row.port.device,
                    row.port.name,
                    text.time(row.first_hour),
                    text("still_down") if row.still_down else text.time(row.came_back),
                    str(row.port.down_samples),
                )
                for row in rows
            ),
        ),
        Paragraph(text("uplinks.note")),
    )
