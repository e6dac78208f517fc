"""Incremental /metrics (issue 10 item 4): the cached rendering gives the same bytes as a full
one, re-renders only the devices whose state changed, and exports the interface series the
operator chose (all / uplinks and named ports / none)."""

from __future__ import annotations

import dataclasses

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agent.metrics import FleetCollector, InterfaceSelection, build_registry, exposition
from agent.settings import load_settings
from agent.state import FleetState
from collectors.base import HealthSnapshot, Interface, Sensor
from tests.daemon.test_metrics import NOW, device, filled_state, healthy


def _interface_series(text: bytes) -> set[tuple[str, str]]:
    return {
        (sample.labels["device"], sample.labels["interface"])
        for family in text_string_to_metric_families(text.decode())
        if family.name.startswith("netmon_interface_") and family.name != "netmon_interface_uplink"
        for sample in family.samples
    }


def test_incremental_text_is_the_full_rendering() -> None:
    state = filled_state()
    registry = build_registry(state, version="9.9")
    full = generate_latest(registry)
    assert exposition(registry) == full
    assert exposition(registry) == full  # from the cache this time


def test_other_collectors_follow_the_fleet_once() -> None:
    state = filled_state()
    registry = build_registry(state, version="9.9")
    Gauge("netmon_store_available", "store reachable", registry=registry).set(1)
    text = exposition(registry)
    assert text == generate_latest(registry)
    assert text.count(b"# TYPE netmon_store_available gauge") == 1
    assert text.count(b"# TYPE netmon_device_up gauge") == 1


def test_a_poll_re_renders_that_device_only(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    state = filled_state()
    registry = build_registry(state, version="9.9")
    exposition(registry)
    rendered: list[str] = []
    original = FleetCollector._render_device

    def spy(self, view, uplinks):  # type: ignore[no-untyped-def]
        rendered.append(view.info.name)
        return original(self, view, uplinks)

    monkeypatch.setattr(FleetCollector, "_render_device", spy)
    exposition(registry)
    assert rendered == []
    newer = dataclasses.replace(healthy("sw-1"), cpu_ratio=0.75)
    state.update_health(newer)
    text = exposition(registry)
    assert rendered == ["sw-1"]
    assert b'netmon_cpu_usage_ratio{device="sw-1"} 0.75' in text
    assert text == generate_latest(registry)
    state.set_maintenance([])  # sw-2 leaves maintenance
    rendered.clear()
    assert exposition(registry) == generate_latest(registry)
    assert rendered == ["sw-2"]


def test_devices_that_leave_the_fleet_leave_the_text() -> None:
    state = filled_state()
    registry = build_registry(state, version="9.9")
    assert b'device="fw-1"' in exposition(registry)
    state.set_devices([device("sw-1"), device("sw-2")])
    text = exposition(registry)
    assert b'device="fw-1"' not in text and text == generate_latest(registry)


def _two_switches() -> FleetState:
    state = FleetState()
    state.set_devices([device("sw-1"), device("sw-2")])
    state.set_uplinks([("sw-1", "GE1/0/1")])
    ports = [
        Interface(index, f"GE1/0/{index}", True, 10**9, 1, 2, 0, 0, 0, 0) for index in range(1, 49)
    ]
    for name in ("sw-1", "sw-2"):
        state.update_health(dataclasses.replace(healthy(name), interfaces=ports))
    return state


def test_uplinks_selection_keeps_uplinks_and_named_ports_only() -> None:
    state = _two_switches()
    every = exposition(build_registry(state, version="9.9"))
    chosen = InterfaceSelection("uplinks", frozenset({"GE1/0/48"}))
    fewer = exposition(build_registry(state, version="9.9", interfaces=chosen))
    assert _interface_series(every) == {
        (name, f"GE1/0/{i}") for name in ("sw-1", "sw-2") for i in range(1, 49)
    }
    assert _interface_series(fewer) == {
        ("sw-1", "GE1/0/1"),
        ("sw-1", "GE1/0/48"),
        ("sw-2", "GE1/0/48"),
    }
    assert len(fewer) < len(every) / 5
    # everything that is not an interface series is unchanged
    strip = [
        line
        for line in every.decode().splitlines()
        if "interface=" not in line or "netmon_interface_uplink" in line
    ]
    assert [
        line
        for line in fewer.decode().splitlines()
        if "interface=" not in line or "netmon_interface_uplink" in line
    ] == strip


def test_none_selection_exports_no_interface_series() -> None:
    state = _two_switches()
    text = exposition(build_registry(state, interfaces=InterfaceSelection("none")))
    assert _interface_series(text) == set()
    assert b'netmon_interface_uplink{device="sw-1",interface="GE1/0/1"} 1.0' in text


def test_netmon_toml_chooses_the_selection(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "netmon.toml"
    path.write_text('[metrics]\ninterfaces = "uplinks"\ninterface_names = ["GE1/0/48"]\n')
    settings = load_settings(path)
    assert settings.interfaces == "uplinks"
    assert settings.interface_names == frozenset({"GE1/0/48"})
    path.write_text('[metrics]\ninterfaces = "some"\n')
    try:
        load_settings(path)
    except Exception as error:  # the message is what is checked
        assert "netmon.toml" in str(error) and "'some'" in str(error)
    else:
        raise AssertionError("a bad selection was accepted")


def test_an_unreachable_poll_drops_that_devices_interfaces() -> None:
    state = _two_switches()
    registry = build_registry(state)
    assert ("sw-2", "GE1/0/2") in _interface_series(exposition(registry))
    state.update_health(HealthSnapshot("sw-2", NOW, reachable=False))
    text = exposition(registry)
    assert not {pair for pair in _interface_series(text) if pair[0] == "sw-2"}
    assert text == generate_latest(registry)
    assert isinstance(registry, CollectorRegistry)


def test_awkward_label_values_are_escaped_like_prometheus_client() -> None:
    state = FleetState()
    state.set_devices([device("sw-1")])
    odd = dataclasses.replace(
        healthy("sw-1"),
        temperatures=[Sensor('inlet "A"\\back\nline', 30.5), Sensor("cpu", float("nan"))],
        interfaces=[Interface(1, "GE1/0/1", True, 10**9, 2**64 - 1, 0, 0, 0, 0, 0)],
    )
    state.update_health(odd)
    registry = build_registry(state, version='1.0"x')
    assert exposition(registry) == generate_latest(registry)


def test_a_finished_run_renders_its_device_before_the_scrape(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    state = filled_state()
    registry = build_registry(state, version="9.9")
    exposition(registry)
    state.update_health(dataclasses.replace(healthy("sw-1"), cpu_ratio=0.5))
    state.record_run("sw-1", "health", started_at=NOW, duration_seconds=0.2, success=True)
    rendered: list[str] = []
    original = FleetCollector._render_device

    def spy(self, view, uplinks):  # type: ignore[no-untyped-def]
        rendered.append(view.info.name)
        return original(self, view, uplinks)

    monkeypatch.setattr(FleetCollector, "_render_device", spy)
    text = exposition(registry)
    assert rendered == []  # the run's own refresh did the work
    assert b'netmon_cpu_usage_ratio{device="sw-1"} 0.5' in text
    assert text == generate_latest(registry)


def test_a_failing_listener_does_not_fail_the_run() -> None:
    state = filled_state()

    def broken(name: str) -> None:
        raise RuntimeError(name)

    state.add_listener(broken)
    state.record_run("sw-1", "health", started_at=NOW, duration_seconds=0.1, success=True)
    assert state.view().devices[0].collectors["health"].duration_seconds == 0.1
