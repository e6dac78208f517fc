"""One NAPALM driver per vendor of the fleet: the generic CLI driver plus each vendor's habits.

The community drivers napalm-huawei-vrp 1.2.0 and napalm-h3c-comware 0.1.5 were tried against
the lab and not used (fans / power / temperature empty and CPU as a string on VRP; get_facts
failing and CPU empty on Comware 7; neither covers Comware 5): see the module docstring of
``collectors.drivers``.
"""

from __future__ import annotations

import re
from typing import ClassVar

from collectors.drivers.base import NetmonCliDriver


class TopsecDriver(NetmonCliDriver):
    """Topsec TOS: interfaces appear as ``network interface eth0 ...`` in ``show-running``."""

    vendor = "topsec"
    interface_line: ClassVar[re.Pattern[str]] = re.compile(r"^network\s+interface\s+(\S+)", re.M)


class LeadsecDriver(NetmonCliDriver):
    vendor = "leadsec"


class VenustechDriver(NetmonCliDriver):
    vendor = "venustech"


class NsfocusDriver(NetmonCliDriver):
    vendor = "nsfocus"


class HuaweiVrpDriver(NetmonCliDriver):
    vendor = "huawei"


COMWARE_MAJOR = re.compile(r"Comware\s+Software,\s+Version\s+(\d+)\.")


class H3cComwareDriver(NetmonCliDriver):
    """H3C Comware 5 and 7: the templates differ per family; when the caller does not say
    which (no inventory model), ``display version`` tells ("Version 5.20" / "Version 7.1")."""

    vendor = "h3c"

    def family_for_templates(self) -> str | None:
        if not self.family:
            version = self.run("version")
            found = COMWARE_MAJOR.search(version)
            self.family = f"Comware{found.group(1)}" if found else ""
        return self.family or None
