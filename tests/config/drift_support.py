"""Shared data of the configuration drift tests (a plain module: two conftest modules on
sys.path would shadow each other)."""

from __future__ import annotations

# One device per vendor family the lab plays (both H3C families), by inventory name.
REPRESENTATIVES = {
    "h3c-comware5": "h3c-s5500-01",
    "h3c-comware7": "h3c-s5560-01",
    "huawei": "huawei-s5700-01",
    "topsec": "topsec-ngfw4000-01",
    "leadsec": "leadsec-a2350-01",
    "venustech": "venus-nf1600-01",
    "nsfocus": "nsfocus-sas-gl2100-01",
}


def planted_secrets(vendor: str, model: str, family: str) -> list[str]:
    """The lab's planted secrets (canaries) of one model, each line of a multi-line one apart."""
    from agent.lab.cli import load_cli_spec

    spec = load_cli_spec(vendor, model, family)
    found = []
    for settings in spec.secrets.values():
        value = str(settings.get("value", ""))
        found += [line.strip() for line in value.splitlines() if line.strip()]
    return found
