"""Engineers' records (``netmon record``), on SQLite and PostgreSQL: the commands with good
and bad input, the rules of ``agent.records``, the export file, and the migration of a
maintenance_records row written by schema 0004."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import stat
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from store_support import T0

from agent.cli import main
from agent.records import NewRecord, RecordError, add_record, close_record, records_between
from agent.store import Store, open_store
from agent.store.models import MaintenanceRecord
from agent.store.schema import upgrade

CHINA = dt.timezone(dt.timedelta(hours=8))
HOUR = dt.timedelta(hours=1)


def netmon(url: str, *args: str) -> int:
    return main(["record", "--url", url, *args])


@pytest.fixture
def url(fleet_store: Store) -> str:
    return fleet_store.url.render_as_string(hide_password=False)


def stored(store: Store) -> list[MaintenanceRecord]:
    query = (
        sa.select(MaintenanceRecord)
        .options(selectinload(MaintenanceRecord.device))
        .order_by(MaintenanceRecord.id)
    )
    with store.session(read_only=True) as session:
        return list(session.scalars(query))


def test_add_close_and_list_a_repair(
    url: str, fleet_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        netmon(
            url,
            "add",
            "repair",
            "--device",
            "fw-hq-1",
            "--summary",
            "PSU 2 故障",
            "--by",
            "驻场一组",
            "--from",
            "2026-03-07 09:00",
        )
        == 0
    )
    assert "added #1 repair open fw-hq-1 [驻场一组] 2026-03-07 09:00" in capsys.readouterr().out
    (record,) = stored(fleet_store)
    # Local time of the report time zone (Asia/Shanghai by default), stored as UTC.
    assert record.started_at == dt.datetime(2026, 3, 7, 1, 0, tzinfo=dt.UTC)
    assert (record.state, record.ended_at, record.recorded_by) == ("open", None, record.recorded_by)
    assert record.recorded_by  # the account that typed it

    assert netmon(url, "close", "1", "--at", "2026-03-07 11:30") == 2  # no action yet
    assert "--action: closing a repair needs what was done" in capsys.readouterr().err
    assert (
        netmon(
            url,
            "close",
            "1",
            "--at",
            "2026-03-07 11:30",
            "--action",
            "更换 PSU",
            "--outcome",
            "正常",
        )
        == 0
    )
    (record,) = stored(fleet_store)
    assert (record.state, record.action, record.outcome) == ("closed", "更换 PSU", "正常")
    assert record.ended_at == dt.datetime(2026, 3, 7, 3, 30, tzinfo=dt.UTC)
    assert netmon(url, "close", "1", "--action", "again") == 2
    assert "record 1 is already closed" in capsys.readouterr().err

    assert netmon(url, "list", "--from", "2026-03-07", "--to", "2026-03-07") == 0
    assert "#1 repair closed fw-hq-1" in capsys.readouterr().out
    assert netmon(url, "list", "--from", "2026-03-08", "--to", "2026-03-09") == 0
    assert capsys.readouterr().out.strip() == "no records"
    assert netmon(url, "list", "--open") == 0
    assert capsys.readouterr().out.strip() == "no records"


def test_an_incident_keeps_its_four_times(
    url: str, fleet_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["add", "incident", "--device", "sw-hq-1", "--summary", "端口告警", "--by", "值班组"]
    times = ["--reported", "2026-03-07 08:00", "--responded", "2026-03-07 08:06"]
    assert netmon(url, *args, *times, "--arrived", "2026-03-07 09:40") == 0
    assert netmon(url, "list", "--kind", "incident", "--open") == 0
    assert "#1 incident open sw-hq-1 [值班组] 2026-03-07 08:00 -> -" in capsys.readouterr().out
    assert netmon(url, "close", "1", "--at", "2026-03-07 12:00", "--action", "更换光模块") == 0
    (record,) = stored(fleet_store)
    local = [
        moment.astimezone(CHINA).strftime("%H:%M")
        for moment in (record.reported_at, record.started_at, record.arrived_at)
    ]
    assert local == ["08:00", "08:06", "09:40"]
    assert record.resolved_at == record.ended_at
    assert record.resolved_at is not None
    assert record.resolved_at.astimezone(CHINA).strftime("%H:%M") == "12:00"


DUTY = ["add", "duty", "--summary", "x"]
INCIDENT = ["add", "incident", "--summary", "x"]
REPORTED = ["--reported", "2026-03-07 08:00"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "tuning", "--summary", "x"], "--device: a tuning record needs the device"),
        (["add", "repair", "--device", "nope", "--summary", "x"], "--device: 'nope' is"),
        (["add", "duty", "--summary", "  "], "--summary: must not be empty"),
        ([*DUTY, "--by", "li@example.org"], "--by: 'li@example.org'"),
        ([*DUTY, "--by", "13812345678"], "looks like an e-mail"),
        ([*DUTY, "--from", "2026-03-07"], "--from: '2026-03-07' is not"),
        ([*DUTY, "--from", "yesterday"], "--from: 'yesterday' is not"),
        (
            [*DUTY, "--from", "2026-03-07 10:00", "--to", "2026-03-07 09:00"],
            "--to: 2026-03-07T01:00:00+00:00 is before --from",
        ),
        ([*DUTY, "--from", "2099-01-01 10:00"], "is in the future"),
        (
            [*DUTY, "--at", "2026-03-07 10:00", "--to", "2026-03-07 11:00"],
            "--at: give either --at or --from / --to",
        ),
        (
            [*INCIDENT, "--responded", "2026-03-07 08:00"],
            "--reported: an incident needs the time it was reported",
        ),
        ([*INCIDENT, *REPORTED], "--responded: an incident needs the time an engineer responded"),
        (
            [*INCIDENT, *REPORTED, "--responded", "2026-03-07 07:50"],
            "--responded: 2026-03-06T23:50:00+00:00 is before --reported",
        ),
        (
            [*INCIDENT, *REPORTED, "--responded", "2026-03-07 08:05", "--arrived", "08:30"],
            "--arrived: '08:30' is not a time",
        ),
        (
            [
                *INCIDENT,
                *REPORTED,
                "--responded",
                "2026-03-07 08:05",
                "--resolved",
                "2026-03-07 09:00",
            ],
            "--action: a finished incident needs what was done",
        ),
        ([*INCIDENT, "--from", "2026-03-07 08:00"], "--from: an incident is timed by --reported"),
        ([*DUTY, *REPORTED], "--reported: only an incident has reported time"),
        (["close", "42"], "ID: there is no record 42"),
    ],
)
def test_bad_input_is_refused_naming_the_field(
    url: str,
    fleet_store: Store,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NETMON_INVENTORY", str(tmp_path / "no-inventory.toml"))
    assert netmon(url, *args) == 2
    assert message in capsys.readouterr().err
    assert stored(fleet_store) == []


def test_a_device_only_in_the_inventory_is_synced_in(
    url: str, fleet_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(
        '[defaults]\nsite = "hq"\n[defaults.snmp]\ncommunity = { env = "X" }\n'
        '[defaults.ssh]\nusername = "u"\npassword = { env = "Y" }\n'
        '[[device]]\nname = "sw-new-1"\nvendor = "h3c"\nmodel = "S5500"\n'
        'services = ["hardware"]\naddress = "127.0.0.1"\n',
        encoding="utf-8",
    )
    code = netmon(
        url, "add", "maintenance", "--device", "sw-new-1", "--summary", "巡检",
        "--at", "2026-03-07 10:00", "--inventory", str(inventory),
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    (record,) = stored(fleet_store)
    assert record.device is not None and record.device.name == "sw-new-1"
    assert record.state == "closed" and record.started_at == record.ended_at


def test_export_writes_a_private_file(
    url: str, fleet_store: Store, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with fleet_store.session() as session:
        add_record(
            session,
            NewRecord("duty", "白班, 无异常", "值班组", started_at=T0, ended_at=T0 + 8 * HOUR),
            recorded_by="tester",
            now=T0 + 9 * HOUR,
        )
        add_record(
            session,
            NewRecord("tuning", "outside", "L2", device="sw-hq-1", started_at=T0 + 40 * 24 * HOUR),
            recorded_by="tester",
            now=T0 + 41 * 24 * HOUR,
        )
    for layout in ("csv", "json"):
        output = tmp_path / f"march.{layout}"
        args = ["--from", "2026-03-01", "--to", "2026-03-31", "--format", layout]
        assert netmon(url, "export", *args, "--output", str(output)) == 0
        assert f"1 records written to {output}" in capsys.readouterr().out
        assert stat.S_IMODE(output.stat().st_mode) == 0o600
        text = output.read_text(encoding="utf-8")
        rows = json.loads(text) if layout == "json" else list(csv.DictReader(io.StringIO(text)))
        (row,) = rows
        assert row["kind"] == "duty" and row["summary"] == "白班, 无异常"
        assert row["started_at"] == "2026-03-06T08:00:00+00:00"
        assert row["ended_at"] == "2026-03-06T16:00:00+00:00"
        assert row["engineer"] == "值班组" and row["recorded_by"] == "tester"
        assert row["device"] in (None, "")


def test_records_of_a_period_include_those_still_open(fleet_store: Store) -> None:
    with fleet_store.session() as session:
        early = add_record(
            session,
            NewRecord("repair", "fan", "L2", device="fw-hq-1", started_at=T0),
            recorded_by="t",
            now=T0,
        )
        add_record(
            session,
            NewRecord("duty", "late", "L2", started_at=T0 + 72 * HOUR, ended_at=T0 + 80 * HOUR),
            recorded_by="t",
            now=T0 + 80 * HOUR,
        )
    day3 = T0 + 48 * HOUR
    with fleet_store.session() as session:
        assert [r.summary for r in records_between(session, day3, day3 + 24 * HOUR)] == ["fan"]
        with pytest.raises(RecordError, match=r"--at: .* is before started"):
            close_record(session, early.id, at=T0 - HOUR, action="x", now=T0 + HOUR)
        close_record(session, early.id, at=T0 + HOUR, action="new fan", now=T0 + 2 * HOUR)
    with fleet_store.session() as session:
        assert records_between(session, day3, day3 + 24 * HOUR) == []
        assert [r.summary for r in records_between(session, T0, day3, open_only=False)] == ["fan"]


def test_the_database_refuses_an_end_before_the_start(fleet_store: Store) -> None:
    from agent.store.engine import StoreError

    with pytest.raises(StoreError), fleet_store.session() as session:
        session.add(
            MaintenanceRecord(
                kind="duty",
                state="closed",
                summary="x",
                engineer="L2",
                started_at=T0,
                ended_at=T0 - HOUR,
                recorded_at=T0,
                recorded_by="t",
            )
        )
        session.flush()


def test_a_0004_maintenance_row_is_migrated(db_url: str) -> None:
    upgrade(db_url, "0004")
    engine = sa.create_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO devices (id, name, vendor, model, kind, site, services, "
                    "first_seen, last_seen) VALUES (1, 'fw-1', 'topsec', 'NGFW4000', "
                    "'firewall', 'hq', '[]', :t, :t)"
                ),
                {"t": T0.replace(tzinfo=None)},
            )
            for kind, day in (("inspection", 10), ("repair", 11)):
                connection.execute(
                    sa.text(
                        "INSERT INTO maintenance_records (device_id, performed_on, kind, "
                        "description, engineer, recorded_at) VALUES (1, :day, :kind, "
                        "'checked', '驻场一组', :t)"
                    ),
                    {"day": dt.date(2026, 3, day), "kind": kind, "t": T0.replace(tzinfo=None)},
                )
    finally:
        engine.dispose()
    upgrade(db_url)
    store = open_store(db_url)
    try:
        records = stored(store)
    finally:
        store.close()
    assert [(r.kind, r.state, r.summary, r.engineer, r.recorded_by) for r in records] == [
        ("maintenance", "closed", "checked", "驻场一组", "驻场一组"),
        ("repair", "closed", "checked", "驻场一组", "驻场一组"),
    ]
    # Noon UTC of the recorded day: still that day in China (and from UTC-12 to UTC+11).
    assert [r.started_at.astimezone(CHINA).date() for r in records] == [
        dt.date(2026, 3, 10),
        dt.date(2026, 3, 11),
    ]
    assert records[0].device is not None and records[0].device.name == "fw-1"
