"""An inventory device's SNMP settings as the client's ``SnmpTarget`` (secrets read here)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from collectors.snmp.client import SnmpTarget

if TYPE_CHECKING:
    from agent.inventory import Device


def snmp_target_for(device: Device, *, max_repetitions: int = 25) -> SnmpTarget:
    """Secrets are revealed now, so a missing credential fails this device's poll, not others."""
    snmp = device.snmp
    if snmp.version == "3":
        return SnmpTarget(
            address=device.address,
            port=snmp.port,
            version="3",
            user=snmp.user or "",
            auth_protocol=snmp.auth_protocol or "SHA",
            auth_key=snmp.auth_key.reveal() if snmp.auth_key else "",
            priv_protocol=snmp.priv_protocol or "AES",
            priv_key=snmp.priv_key.reveal() if snmp.priv_key else "",
            timeout=snmp.timeout,
            retries=snmp.retries,
            max_repetitions=max_repetitions,
        )
    return SnmpTarget(
        address=device.address,
        port=snmp.port,
        version="2c",
        community=snmp.community.reveal() if snmp.community else "",
        timeout=snmp.timeout,
        retries=snmp.retries,
        max_repetitions=max_repetitions,
    )
