import dataclasses

import pytest

from collectors.profiles import load_profiles
from collectors.snmp.plan import ProfileError, plan_for


@pytest.mark.parametrize(
    ("vendor", "model", "kind"),
    [(v, m, i.kind) for v, p in load_profiles().items() for m, i in p.models.items()],
)
def test_every_model_has_a_plan_with_cpu_memory_fans_and_psus(
    vendor: str, model: str, kind: str
) -> None:
    plan = plan_for(vendor, model, kind)
    assert "cpu" in plan.numbers
    assert "memory" in plan.numbers or {"memory_total", "memory_free"} <= set(plan.numbers)
    assert {"fans", "psus"} <= set(plan.states)
    assert plan.scalar_oids() or plan.columns()


def test_kind_specific_values_follow_the_kind() -> None:
    firewall = plan_for("topsec", "NGFW4000", "firewall")
    ids = plan_for("topsec", "TopSentry 3000", "ids")
    assert "sessions" in firewall.numbers and "ha_role" in firewall.states
    assert "sessions" not in ids.numbers and "ha_role" not in ids.states
    assert plan_for("nsfocus", "SASNX3-GL2100", "security-audit").disk is not None
    assert plan_for("leadsec", "LA-DT-1100B", "network-audit").disk is not None


def test_a_broken_profile_entry_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {"health": {"cpu": {"oid": "1.3.6.1.2.1.1.3.0", "column": "1.3.6.1.2.1.2.2.1.1"}}}
    profile = dataclasses.replace(load_profiles()["h3c"], snmp=broken)
    monkeypatch.setattr("collectors.snmp.plan.get_profile", lambda vendor: profile)
    plan_for.cache_clear()
    try:
        with pytest.raises(ProfileError, match=r"h3c/snmp.toml \[health.cpu\]: needs exactly one"):
            plan_for("h3c", "S5500", "switch")
    finally:
        monkeypatch.undo()
        plan_for.cache_clear()
