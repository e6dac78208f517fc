"""``netmon maintenance add|list|end`` on a SQLite store: stored windows, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from availability_history import DEVICES

from agent.availability import devices_in_maintenance
from agent.cli import main
from agent.store import open_store
from agent.store import repository as repo
from agent.store.schema import upgrade


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'netmon.db'}"
    upgrade(url)
    with open_store(url) as store, store.session() as session:
        repo.sync_devices(session, DEVICES, now=dt.datetime.now(dt.UTC))
    return url


def test_add_list_and_end_a_window(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    now = dt.datetime.now(dt.UTC)
    start = (now - dt.timedelta(minutes=5)).isoformat()
    end = (now + dt.timedelta(hours=2)).isoformat()
    assert (
        main(
            [
                "maintenance",
                "--url",
                url,
                "add",
                "--site",
                "branch",
                "--from",
                start,
                "--to",
                end,
                "--reason",
                "更换电源",
                "--by",
                "二线组",
            ]
        )
        == 0
    )
    assert "fw-b" in capsys.readouterr().out
    with open_store(url) as store, store.session(read_only=True) as session:
        assert devices_in_maintenance(session, now) == {"fw-b"}
    assert main(["maintenance", "--url", url, "list"]) == 0
    listed = capsys.readouterr().out
    assert "fw-b" in listed and "更换电源" in listed and "二线组" in listed
    window_id = listed.split("\t", 1)[0]
    assert main(["maintenance", "--url", url, "end", window_id]) == 0
    with open_store(url) as store, store.session(read_only=True) as session:
        assert devices_in_maintenance(session, dt.datetime.now(dt.UTC)) == frozenset()
    assert main(["maintenance", "--url", url, "end", window_id]) == 2
    assert "already ended" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["fw-z", "--from", "2030-01-01 09:00", "--to", "2030-01-01 10:00"], "fw-z"),
        (["fw-a", "--from", "2030-01-01 10:00", "--to", "2030-01-01 09:00"], "before it starts"),
        (["fw-a", "--from", "tomorrow", "--to", "2030-01-01 09:00"], "--from 'tomorrow'"),
        (["fw-a", "--from", "2020-01-01 09:00", "--to", "2020-01-01 10:00"], "in the past"),
        (
            ["--site", "nowhere", "--from", "2030-01-01 09:00", "--to", "2030-01-01 10:00"],
            "nowhere",
        ),
    ],
)
def test_bad_windows_are_refused_naming_what(
    url: str, capsys: pytest.CaptureFixture[str], arguments: list[str], message: str
) -> None:
    assert main(["maintenance", "--url", url, "add", *arguments, "--reason", "x"]) == 2
    assert message in capsys.readouterr().err
