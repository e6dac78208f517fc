#!/usr/bin/env python3
"""Write the lab's SNMP recordings (agent/lab/recordings/<model_slug>.snmprec) from data.

One recording per model of collectors/profiles/*/models.toml. The facts (sysObjectIDs, sysDescr
formats, OIDs and value maps) come from public sources named in the comments below and are
repeated as ``#`` comments in each recording; what no public source gives is marked
``unverified: assumed from ...``. The values themselves (ports, loads, counters) are invented
but plausible. Edit this script and re-run it rather than editing the recordings:

    python3 scripts/make_recordings.py            # writes agent/lab/recordings/
    python3 scripts/make_recordings.py --check    # exits 1 if a recording is out of date

Indexes shared with agent/lab/vendors/<vendor>.toml and collectors/profiles/<vendor>/snmp.toml
(the ENTITY-MIB rows of fans and power supplies, the board row of the switches) are constants
here; change them in all three places together.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "agent" / "lab" / "recordings"

Line = tuple[str, str, str | int]  # OID, snmprec tag, value


@dataclass
class Section:
    source: str  # printed as a comment above the section
    lines: list[Line] = field(default_factory=list)

    def add(self, oid: str, tag: str, value: str | int) -> None:
        self.lines.append((oid, tag, value))


@dataclass(frozen=True)
class Port:
    name: str  # ifDescr / ifName
    speed_mbps: int
    if_type: int = 6  # ethernetCsmacd
    mtu: int = 1500
    up: bool = True
    admin_up: bool = True
    in_octets: int = 0  # Counter32; 0 means "draw a value"


@dataclass(frozen=True)
class Model:
    vendor: str
    model: str
    kind: str
    slug: str
    sys_descr: str
    sys_descr_source: str
    sys_object_id: str
    sys_object_id_source: str
    ports: tuple[Port, ...]
    health: Callable[[random.Random], list[Section]]
    uptime_ticks: int = 123_456_789


def model_slug(model: str) -> str:
    # Same rule as agent.lab.device.model_slug (kept here so the script has no imports).
    return "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in model.lower()).strip("-")


# --- value encoding ---------------------------------------------------------------------
def encode(tag: str, value: str | int) -> tuple[str, str]:
    """snmprec tag and value text; strings with control or non-ASCII characters go hex (4x)."""
    if tag == "4" and isinstance(value, str):
        raw = value.encode()
        if any(b < 0x20 or b > 0x7E for b in raw) or "|" in value:
            return "4x", raw.hex()
    return tag, str(value)


# --- MIB-II system group ----------------------------------------------------------------
SYSTEM = "1.3.6.1.2.1.1"


def system_section(m: Model) -> Section:
    s = Section(
        "SNMPv2-MIB system group (RFC 3418). "
        f"sysDescr: {m.sys_descr_source}. sysObjectID: {m.sys_object_id_source}"
    )
    s.add(f"{SYSTEM}.1.0", "4", m.sys_descr)
    s.add(f"{SYSTEM}.2.0", "6", m.sys_object_id)
    s.add(f"{SYSTEM}.3.0", "67", m.uptime_ticks)
    s.add(f"{SYSTEM}.4.0", "4", "noc@example.net")
    s.add(f"{SYSTEM}.5.0", "4", m.slug)
    s.add(f"{SYSTEM}.6.0", "4", "lab rack 1")
    s.add(f"{SYSTEM}.7.0", "2", 78 if m.kind != "switch" else 6)
    return s


# --- IF-MIB -----------------------------------------------------------------------------
IF_TABLE = "1.3.6.1.2.1.2.2.1"
IFX_TABLE = "1.3.6.1.2.1.31.1.1.1"
NEAR_WRAP = 4_290_000_000  # Counter32 close to 2**32: with the lab's growth it wraps in ~2 min


def interface_sections(m: Model, rnd: random.Random) -> list[Section]:
    table = Section("IF-MIB ifTable (RFC 2863)")
    xtable = Section("IF-MIB ifXTable (RFC 2863)")
    table.add("1.3.6.1.2.1.2.1.0", "2", len(m.ports))  # ifNumber
    columns: dict[int, list[tuple[int, str, str | int]]] = {}
    xcolumns: dict[int, list[tuple[int, str, str | int]]] = {}
    for index, port in enumerate(m.ports, start=1):
        busy = port.up and port.if_type == 6
        in_octets = port.in_octets or (rnd.randrange(10**6, 3 * 10**9) if busy else 0)
        out_octets = rnd.randrange(10**6, 2 * 10**9) if busy else 0
        mac = bytes([0x00, 0x0F, 0xE2, rnd.randrange(256), rnd.randrange(256), index]).hex()
        speed_bps = port.speed_mbps * 1_000_000
        row: list[tuple[int, str, str | int]] = [
            (1, "2", index),
            (2, "4", port.name),
            (3, "2", port.if_type),
            (4, "2", port.mtu),
            (5, "66", min(speed_bps, 4_294_967_295)),
            (6, "4x", mac),
            (7, "2", 1 if port.admin_up else 2),
            (8, "2", 1 if port.up else 2),
            (9, "67", rnd.randrange(1000, 100_000)),
            (10, "65", in_octets),
            (11, "65", in_octets // 700 if busy else 0),
            (13, "65", rnd.choice((0, 0, 0, 12, 340)) if busy else 0),
            (14, "65", rnd.choice((0, 0, 0, 0, 3, 87)) if busy else 0),
            (16, "65", out_octets),
            (17, "65", out_octets // 700 if busy else 0),
            (19, "65", rnd.choice((0, 0, 0, 5)) if busy else 0),
            (20, "65", 0),
        ]
        for column, tag, value in row:
            columns.setdefault(column, []).append((index, tag, value))
        hc_in = in_octets + (rnd.randrange(2, 40) << 32 if busy else 0)
        hc_out = out_octets + (rnd.randrange(1, 30) << 32 if busy else 0)
        xrow: list[tuple[int, str, str | int]] = [
            (1, "4", port.name),
            (6, "70", hc_in),
            (10, "70", hc_out),
            (15, "66", port.speed_mbps),
            (18, "4", "uplink" if index == 1 else ""),
        ]
        for column, tag, value in xrow:
            xcolumns.setdefault(column, []).append((index, tag, value))
    for column in sorted(columns):
        for index, tag, value in columns[column]:
            table.add(f"{IF_TABLE}.{column}.{index}", tag, value)
    for column in sorted(xcolumns):
        for index, tag, value in xcolumns[column]:
            xtable.add(f"{IFX_TABLE}.{column}.{index}", tag, value)
    return [table, xtable]


# --- ENTITY-MIB and friends ---------------------------------------------------------------
ENT_PHYSICAL = "1.3.6.1.2.1.47.1.1.1.1"  # entPhysicalEntry
CLASS_CHASSIS, CLASS_PSU, CLASS_FAN, CLASS_SENSOR, CLASS_MODULE = 3, 6, 7, 8, 9


@dataclass(frozen=True)
class Entity:
    index: int
    name: str
    cls: int
    contained_in: int = 0


def entity_section(
    entities: Iterable[Entity], source: str, serials: dict[int, str] | None = None
) -> Section:
    """``serials``: entPhysicalSerialNum(11) of the rows that have one (the chassis)."""
    s = Section(source)
    rows = list(entities)
    for column, pick in (
        (2, lambda e: ("4", e.name)),  # entPhysicalDescr
        (4, lambda e: ("2", e.contained_in)),  # entPhysicalContainedIn
        (5, lambda e: ("2", e.cls)),  # entPhysicalClass
        (7, lambda e: ("4", e.name)),  # entPhysicalName
    ):
        for e in rows:
            tag, value = pick(e)
            s.add(f"{ENT_PHYSICAL}.{column}.{e.index}", tag, value)
    for index, serial in (serials or {}).items():
        s.add(f"{ENT_PHYSICAL}.11.{index}", "4", serial)
    return s


def chassis_serial(prefix: str, rnd: random.Random) -> str:
    """An invented serial number (format unverified: assumed), drawn from a copy of ``rnd`` so
    that the recording's other values stay as they were."""
    own = random.Random()
    own.setstate(rnd.getstate())
    return prefix + "".join(own.choice("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(12))


# Standard rows every security appliance recording carries (indexes used by the profiles).
APPLIANCE_ENTITIES = (
    Entity(1, "Chassis", CLASS_CHASSIS),
    Entity(2, "Fan 1", CLASS_FAN, 1),
    Entity(3, "Fan 2", CLASS_FAN, 1),
    Entity(4, "Power Supply 1", CLASS_PSU, 1),
    Entity(5, "Power Supply 2", CLASS_PSU, 1),
    Entity(6, "CPU Temperature", CLASS_SENSOR, 1),
    Entity(7, "Board Temperature", CLASS_SENSOR, 1),
)
ENT_SENSOR = "1.3.6.1.2.1.99.1.1.1"  # entPhySensorEntry (ENTITY-SENSOR-MIB, RFC 3433)


def appliance_hardware(rnd: random.Random, assumption: str) -> list[Section]:
    """Fans, PSUs and temperatures of a security appliance via ENTITY-MIB + ENTITY-SENSOR-MIB."""
    entities = entity_section(
        APPLIANCE_ENTITIES,
        f"ENTITY-MIB entPhysicalTable (RFC 6933); unverified: assumed from {assumption}",
    )
    sensors = Section(
        "ENTITY-SENSOR-MIB entPhySensorTable (RFC 3433): type(1) 8=celsius 10=rpm 4=voltsDC, "
        "scale(2) 9=units, precision(3), value(4), operStatus(5) 1=ok 2=unavailable "
        f"3=nonoperational; unverified: assumed from {assumption}"
    )
    values = {
        2: (10, rnd.randrange(4800, 6200)),
        3: (10, rnd.randrange(4800, 6200)),
        4: (4, 12),
        5: (4, 12),
        6: (8, rnd.randrange(44, 56)),
        7: (8, rnd.randrange(33, 41)),
    }
    for column in (1, 2, 3, 4, 5):
        for index, (sensor_type, value) in values.items():
            cell = {1: sensor_type, 2: 9, 3: 0, 4: value, 5: 1}[column]
            sensors.add(f"{ENT_SENSOR}.{column}.{index}", "2", cell)
    return [entities, sensors]


def vrrp_section() -> Section:
    s = Section(
        "VRRP-MIB vrrpOperState (RFC 2787) 1=initialize 2=backup 3=master, index "
        "ifIndex.vrId; unverified: assumed that the HA pair reports its role through VRRP-MIB"
    )
    s.add("1.3.6.1.2.1.68.1.3.1.3.1.1", "2", 3)
    return s


HR_STORAGE = "1.3.6.1.2.1.25.2.3.1"
HR_FIXED_DISK = "1.3.6.1.2.1.25.2.1.4"
HR_RAM = "1.3.6.1.2.1.25.2.1.2"


def hr_storage_section(disks: list[tuple[str, int, int]], assumption: str) -> Section:
    """hrStorageTable rows: RAM first, then (mount, size GiB, used percent) fixed disks."""
    s = Section(
        "HOST-RESOURCES-MIB hrStorageTable (RFC 2790): type(2) descr(3) allocationUnits(4) "
        f"size(5) used(6); unverified: assumed from {assumption}"
    )
    rows: list[tuple[int, str, str, int, int, int]] = [
        (1, HR_RAM, "Physical memory", 1024, 8 * 1024 * 1024, 5 * 1024 * 1024)
    ]
    for number, (mount, size_gib, used_percent) in enumerate(disks, start=31):
        blocks = size_gib * 1024 * 1024 // 4  # 4 KiB allocation units
        rows.append((number, HR_FIXED_DISK, mount, 4096, blocks, blocks * used_percent // 100))
    for column in (1, 2, 3, 4, 5, 6):
        for index, kind, descr, unit, size, used in rows:
            tag, value = {
                1: ("2", index),
                2: ("6", kind),
                3: ("4", descr),
                4: ("2", unit),
                5: ("2", size),
                6: ("2", used),
            }[column]
            s.add(f"{HR_STORAGE}.{column}.{index}", tag, value)
    return s


def linux_host_sections(rnd: random.Random, assumption: str, disks: list[tuple[str, int, int]]):
    """What stock net-snmp on Linux answers: hrProcessorLoad, UCD memory, hrStorage."""
    cpu = Section(
        "HOST-RESOURCES-MIB hrProcessorLoad (RFC 2790), percent per core, net-snmp indexes "
        f"cores from 196608; unverified: assumed from {assumption}"
    )
    for core in range(4):
        cpu.add(f"1.3.6.1.2.1.25.3.3.1.2.{196608 + core}", "2", rnd.randrange(8, 30))
    memory = Section(
        "UCD-SNMP-MIB memTotalReal(5) / memAvailReal(6) in kB (net-snmp); "
        f"unverified: assumed from {assumption}"
    )
    memory.add("1.3.6.1.4.1.2021.4.5.0", "2", 8 * 1024 * 1024)
    memory.add("1.3.6.1.4.1.2021.4.6.0", "2", rnd.randrange(2, 5) * 1024 * 1024)
    return [cpu, memory, hr_storage_section(disks, assumption)]


# --- ports --------------------------------------------------------------------------------
def switch_ports(names: list[tuple[str, int]], extra: list[Port]) -> tuple[Port, ...]:
    rnd = random.Random(len(names))
    ports = []
    for number, (name, speed) in enumerate(names, start=1):
        up = number == 1 or rnd.random() < 0.7
        ports.append(
            Port(
                name,
                speed,
                up=up,
                admin_up=up or number % 5 != 0,
                in_octets=NEAR_WRAP if number == 1 else 0,
            )
        )
    return tuple(ports + extra)


def appliance_ports(
    names: list[str], speed: int = 1000, down: Iterable[int] = ()
) -> tuple[Port, ...]:
    down_set = set(down)
    return tuple(
        Port(name, speed, up=i not in down_set, in_octets=NEAR_WRAP if i == 1 else 0)
        for i, name in enumerate(names, start=1)
    )


# --- H3C ----------------------------------------------------------------------------------
H3C_EXT = "1.3.6.1.4.1.25506.2.6.1.1.1.1"  # hh3cEntityExtStateEntry (HH3C-ENTITY-EXT-MIB)
H3C_FAN = "1.3.6.1.4.1.25506.8.35.9.1.1.1.2"  # hh3cDevMFanStatus (HH3C-LswDEVM-MIB)
H3C_PWR = "1.3.6.1.4.1.25506.8.35.9.1.2.1.2"  # hh3cDevMPowerStatus (HH3C-LswDEVM-MIB)
H3C_BOARD = 2  # entPhysicalIndex of the main board in our H3C recordings
H3C_NO_SENSOR = 65535  # hh3cEntityExtTemperature of an entity without a sensor
H3C_ENTITIES = (
    Entity(1, "Chassis", CLASS_CHASSIS),
    Entity(H3C_BOARD, "Board", CLASS_MODULE, 1),
    Entity(3, "Fan 1", CLASS_FAN, 1),
    Entity(4, "Fan 2", CLASS_FAN, 1),
    Entity(5, "Power Supply 1", CLASS_PSU, 1),
    Entity(6, "Power Supply 2", CLASS_PSU, 1),
)
# Comware 5: eleven module(9) rows all named "virtue Board" (names repeat within a device); two
# carry a temperature, the others answer 65535. Comware 7: temperature sensors on sensor(8) rows.
H3C_VIRTUE_BOARDS = tuple(Entity(i, "virtue Board", CLASS_MODULE, 1) for i in range(12, 23))
H3C_SENSORS = (
    Entity(7, "hotspot 1", CLASS_SENSOR, H3C_BOARD),
    Entity(8, "hotspot 2", CLASS_SENSOR, H3C_BOARD),
)


def _h3c_health(rnd: random.Random, comware7: bool) -> list[Section]:
    extra = H3C_SENSORS if comware7 else H3C_VIRTUE_BOARDS
    rows = (*H3C_ENTITIES, *extra)
    entities = entity_section(
        rows,
        "ENTITY-MIB entPhysicalTable [entity-mib]; row layout (chassis, board, 2 fans, 2 PSUs) "
        "unverified: assumed from Zabbix's 'HP Comware HH3C by SNMP' template, which finds fans "
        "and PSUs by entPhysicalClass 7 / 6 [zabbix-hh3c-template]; entPhysicalSerialNum(11) "
        "of the chassis [rfc6933-entity-mib], serial format unverified: assumed; "
        + (
            "Comware 7 sensors on sensor(8) rows [librenms-comware-temperature]"
            if comware7
            else "eleven 'virtue Board' module rows as the issue reports from a real Comware box"
        ),
        serials={1: chassis_serial("210235A", rnd)},
    )
    ext = Section(
        "HH3C-ENTITY-EXT-MIB hh3cEntityExtStateTable indexed by entPhysicalIndex: CpuUsage(6) "
        "percent, MemUsage(8) percent, Temperature(12) degC with 65535 where there is no sensor, "
        "ErrorStatus(19) 2=normal 4=entityAbsent 41=fanError 51=psuError [hh3c-entity-ext-mib] "
        "[zabbix-hh3c-template] [librenms-comware-temperature]"
    )
    ext.add(f"{H3C_EXT}.6.{H3C_BOARD}", "2", rnd.randrange(8, 25))
    ext.add(f"{H3C_EXT}.8.{H3C_BOARD}", "2", rnd.randrange(35, 60))
    for entity in extra:
        if entity.cls == CLASS_MODULE:  # a board without a CPU load of its own
            ext.add(f"{H3C_EXT}.6.{entity.index}", "2", 0)
            ext.add(f"{H3C_EXT}.8.{entity.index}", "2", 0)
    ext.add(f"{H3C_EXT}.12.{H3C_BOARD}", "2", rnd.randrange(36, 48))
    for entity in rows:
        if entity.index == H3C_BOARD:
            continue
        reading = entity in H3C_SENSORS or entity in H3C_VIRTUE_BOARDS[:2]
        ext.add(
            f"{H3C_EXT}.12.{entity.index}", "2", rnd.randrange(30, 45) if reading else H3C_NO_SENSOR
        )
    for entity in rows:
        ext.add(f"{H3C_EXT}.19.{entity.index}", "2", 2)
    devm = Section(
        "HH3C-LswDEVM-MIB hh3cdevMFanStatusTable / hh3cdevMPowerStatusTable by fan / power "
        "number: 1=active 2=deactive 3=not-install 4=unsupport [librenms-comware-state]; the "
        "profile's fallback when hh3cEntityExtErrorStatus has no fan / PSU rows"
    )
    for number in (1, 2):
        devm.add(f"{H3C_FAN}.{number}", "2", 1)
    for number in (1, 2):
        devm.add(f"{H3C_PWR}.{number}", "2", 1)
    return [entities, ext, devm]


def h3c_health(rnd: random.Random) -> list[Section]:
    return _h3c_health(rnd, comware7=False)


def h3c7_health(rnd: random.Random) -> list[Section]:
    return _h3c_health(rnd, comware7=True)


# --- Huawei ---------------------------------------------------------------------------------
HW_STATE = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1"  # hwEntityStateEntry (HUAWEI-ENTITY-EXTENT-MIB)
HW_FAN = "1.3.6.1.4.1.2011.5.25.31.1.1.10.1"  # hwFanStatusEntry, index slot.fan
HW_PWR = "1.3.6.1.4.1.2011.5.25.31.1.1.18.1"  # hwPwrStatusEntry, index slot.psu
HW_BOARD = 67108873  # the MPU's entPhysicalIndex on S-series (a public S5700 example uses it)
# Cards without CPU, memory or a temperature sensor: VRP answers 0 for all three.
HW_CARDS = ((67108874, "FAN Card 1"), (67108875, "POWER Card 1"), (67108876, "CF Card 0"))


def huawei_health(rnd: random.Random) -> list[Section]:
    # This agent does not implement entPhysicalClass (a real VRP shape): only names are there.
    names = Section(
        "ENTITY-MIB entPhysicalName [entity-mib]; no entPhysicalClass column, as some VRP agents "
        "answer (the profile keeps every hwEntityStateTable row then [librenms-vrp]); chassis "
        "16777216 unverified: assumed from Huawei's index scheme, MPU 67108873 as in public "
        "S5700 monitoring code; entPhysicalSerialNum(11) of the chassis [rfc6933-entity-mib], "
        "format unverified: assumed"
    )
    for index, name in ((16777216, "S5700-28C-EI"), (HW_BOARD, "MPU Board 0"), *HW_CARDS):
        names.add(f"{ENT_PHYSICAL}.7.{index}", "4", name)
    names.add(f"{ENT_PHYSICAL}.11.16777216", "4", chassis_serial("2102", rnd))
    state = Section(
        "HUAWEI-ENTITY-EXTENT-MIB hwEntityStateTable by entPhysicalIndex: hwEntityCpuUsage(5) "
        "percent, hwEntityMemUsage(7) percent, hwEntityTemperature(11) degC, 0 on cards without "
        "them [huawei-entity-extent-mib] [librenms-vrp]"
    )
    state.add(f"{HW_STATE}.5.{HW_BOARD}", "2", rnd.randrange(8, 25))
    state.add(f"{HW_STATE}.7.{HW_BOARD}", "2", rnd.randrange(40, 65))
    state.add(f"{HW_STATE}.11.{HW_BOARD}", "2", rnd.randrange(36, 46))
    for column in (5, 7, 11):
        for index, _ in HW_CARDS:
            state.add(f"{HW_STATE}.{column}.{index}", "2", 0)
    fans = Section(
        "HUAWEI-ENTITY-EXTENT-MIB hwFanStatusTable index hwEntityFanSlot.hwEntityFanSn: "
        "hwEntityFanSpeed(5) percent, hwEntityFanPresent(6) 1=present 2=absent, "
        "hwEntityFanState(7) 1=normal 2=abnormal [huawei-entity-extent-mib]"
    )
    for column, values in ((5, (45, 46)), (6, (1, 1)), (7, (1, 1))):
        for fan, value in enumerate(values):
            fans.add(f"{HW_FAN}.{column}.0.{fan}", "2", value)
    power = Section(
        "HUAWEI-ENTITY-EXTENT-MIB hwPwrStatusTable index hwEntityPwrSlot.hwEntityPwrSn: "
        "hwEntityPwrPresent(5) 1=present 2=absent, hwEntityPwrState(6) 1=supply 2=notSupply "
        "3=sleep 4=unknown [huawei-entity-extent-mib]"
    )
    for column, values in ((5, (1, 1)), (6, (1, 1))):
        for psu, value in enumerate(values):
            power.add(f"{HW_PWR}.{column}.0.{psu}", "2", value)
    return [names, state, fans, power]


# --- Topsec ---------------------------------------------------------------------------------
TOPSEC = "1.3.6.1.4.1.14331.5.5.1.4"


def topsec_health(rnd: random.Random) -> list[Section]:
    tos = Section(
        "Topsec TOS private objects under 1.3.6.1.4.1.14331.5.5.1.4 as public pollers read them "
        "on TOS 3.3.005 and later: CPU(5.0) percent, memory(6.0) percent, free(7.0) / total(8.0) "
        "memory, current connections(9.0), connections per second(10.0) "
        "[fygroup-topsec-firewall] [afunms-topsec]; memory unit unverified: assumed kB; "
        "types unverified: assumed integers"
    )
    tos.add(f"{TOPSEC}.5.0", "2", rnd.randrange(10, 30))
    total = 4 * 1024 * 1024
    used_percent = rnd.randrange(40, 65)
    tos.add(f"{TOPSEC}.6.0", "2", used_percent)
    tos.add(f"{TOPSEC}.7.0", "66", total * (100 - used_percent) // 100)
    tos.add(f"{TOPSEC}.8.0", "66", total)
    tos.add(f"{TOPSEC}.9.0", "66", rnd.randrange(20_000, 90_000))
    tos.add(f"{TOPSEC}.10.0", "66", rnd.randrange(300, 1500))
    sections = [tos, *appliance_hardware(rnd, "standard MIBs; no public Topsec hardware MIB")]
    return sections


def topsec_ha_health(rnd: random.Random) -> list[Section]:
    return [*topsec_health(rnd), vrrp_section()]


# --- Venustech ------------------------------------------------------------------------------
VENUS = "1.3.6.1.4.1.15227.1.3.1.1"


def venustech_health(rnd: random.Random, ha: bool) -> list[Section]:
    usg = Section(
        "Venustech FW-VENUS-MIB scalars under 1.3.6.1.4.1.15227.1.3.1.1 in the shapes public "
        "pollers parse: cpuUsage(1.0) and memUsage(2.0) strings with '%', memUsage sometimes "
        "'label:' prefixed [categraf-venus] [afunms-venus] [cpp-snmp-poller-switch-types]; "
        "sessionNum(3.0), forwardRate(5.0) with 'kbps', memTotal(6.0), memFree(7.0), "
        "powerState(8.0), CpuTemperature(11.0) [venus-esr-oids]; newSessionRate(4.0) and the "
        "values of powerState unverified: assumed"
    )
    usg.add(f"{VENUS}.1.0", "4", f"{rnd.randrange(10, 30)}%")
    used_percent = rnd.randrange(35, 60)
    usg.add(f"{VENUS}.2.0", "4", f"mem:{used_percent}%")
    usg.add(f"{VENUS}.3.0", "66", rnd.randrange(10_000, 80_000))
    usg.add(f"{VENUS}.4.0", "66", rnd.randrange(200, 1200))
    usg.add(f"{VENUS}.5.0", "4", f"{rnd.randrange(50_000, 400_000)}kbps")
    total = 8 * 1024 * 1024
    usg.add(f"{VENUS}.6.0", "66", total)
    usg.add(f"{VENUS}.7.0", "66", total * (100 - used_percent) // 100)
    usg.add(f"{VENUS}.8.0", "2", 1)
    usg.add(f"{VENUS}.11.0", "2", rnd.randrange(38, 55))
    sections = [usg, *appliance_hardware(rnd, "standard MIBs; no public Venustech hardware MIB")]
    if ha:
        sections.append(vrrp_section())
    return sections


# --- NSFOCUS --------------------------------------------------------------------------------
def nsfocus_health(rnd: random.Random) -> list[Section]:
    sas = Section(
        "NSFOCUS private objects as read from an NSFOCUS IDS: CPU 1.3.6.1.4.1.19849.6.2.2.0 "
        "percent, memory 1.3.6.1.4.1.19849.6.2.3.0 percent [nsfocus-ids-client]; the SAS "
        "layout and the unit unverified: assumed"
    )
    sas.add("1.3.6.1.4.1.19849.6.2.2.0", "2", rnd.randrange(10, 35))
    sas.add("1.3.6.1.4.1.19849.6.2.3.0", "2", rnd.randrange(40, 70))
    assumption = "the SAS running net-snmp on Linux"
    return [
        sas,
        hr_storage_section([("/", 40, 35), ("/data", 2000, 72)], assumption),
        *appliance_hardware(rnd, "standard MIBs; no public NSFOCUS hardware MIB"),
    ]


# --- Leadsec --------------------------------------------------------------------------------
EXTEND_OUTPUT = "1.3.6.1.4.1.8072.1.3.2.3.1.1"  # nsExtendOutput1Line (NET-SNMP-EXTEND-MIB)


def extend_index(name: str) -> str:
    return ".".join([str(len(name)), *(str(ord(ch)) for ch in name)])


def leadsec_health(rnd: random.Random, kind: str) -> list[Section]:
    assumption = "Leadsec appliances running stock net-snmp on Linux (no public Leadsec MIB)"
    disks = [("/", 16, 41)]
    if kind == "network-audit":
        disks.append(("/data", 4000, 64))
    sections = linux_host_sections(rnd, assumption, disks)
    sections.extend(appliance_hardware(rnd, assumption))
    if kind == "firewall":
        extend = Section(
            "NET-SNMP-EXTEND-MIB nsExtendOutput1Line, index = extend name: 'sessions' (current "
            "sessions) and 'newsessions' (new sessions per second), printed as decimal text; "
            f"unverified: assumed from {assumption}"
        )
        extend.add(
            f"{EXTEND_OUTPUT}.{extend_index('sessions')}", "4", str(rnd.randrange(10_000, 60_000))
        )
        extend.add(
            f"{EXTEND_OUTPUT}.{extend_index('newsessions')}", "4", str(rnd.randrange(100, 900))
        )
        sections.append(extend)
        sections.append(vrrp_section())
    return sections


# --- the models -----------------------------------------------------------------------------
def _ge(prefix: str, count: int, start: int = 1, speed: int = 1000) -> list[tuple[str, int]]:
    return [(f"{prefix}{n}", speed) for n in range(start, start + count)]


COMWARE_EXTRA = [Port("Vlan-interface1", 1000, if_type=136), Port("NULL0", 0, if_type=1)]
TOS_ASSUMED = "unverified: assumed (no public sample of a TOS sysDescr)"
TOS_OID = "1.3.6.1.4.1.14331.1.4"
TOS_OID_SOURCE = (
    "seen for Topsec TOS firewalls in public NMS code [afunms-nodeutil]; that all TOS models "
    "answer it is unverified: assumed"
)
VENUS_OID = "1.3.6.1.4.1.15227.6"
VENUS_OID_SOURCE = (
    "a Venustech sysObjectID a public NMS sets by hand [afunms-nodeutil], used for all USG "
    "models: unverified: assumed"
)
LEADSEC_OID = "1.3.6.1.4.1.8072.3.2.10"
LEADSEC_OID_SOURCE = (
    "NET-SNMP-TC netSnmpAgentOIDs.linux [net-snmp-tc] (what stock net-snmp on Linux reports); "
    "unverified: "
    "assumed that Leadsec boxes keep it (no Leadsec enterprise number found)"
)


def _tos(model: str, kind: str, ports: list[str], ha: bool) -> Model:
    return Model(
        vendor="topsec",
        model=model,
        kind=kind,
        slug=model_slug(model),
        sys_descr=f"Topsec Network Security Operating System TOS 3.3.010 {model}",
        sys_descr_source=TOS_ASSUMED,
        sys_object_id=TOS_OID,
        sys_object_id_source=TOS_OID_SOURCE,
        ports=appliance_ports(ports, down=(len(ports),)),
        health=topsec_ha_health if ha else topsec_health,
    )


def _usg(model: str, kind: str, ports: list[str]) -> Model:
    return Model(
        vendor="venustech",
        model=model,
        kind=kind,
        slug=model_slug(model),
        sys_descr=f"Venustech {model} USG Security Gateway, Software Version V2.6R3",
        sys_descr_source="unverified: assumed (no public sample of a USG sysDescr)",
        sys_object_id=VENUS_OID,
        sys_object_id_source=VENUS_OID_SOURCE,
        ports=appliance_ports(ports, down=(len(ports) - 1, len(ports))),
        health=lambda rnd: venustech_health(rnd, ha=kind == "firewall"),
    )


def _leadsec(model: str, kind: str, ports: list[str]) -> Model:
    return Model(
        vendor="leadsec",
        model=model,
        kind=kind,
        slug=model_slug(model),
        sys_descr=f"Leadsec {model} Linux 2.6.32 x86_64",
        sys_descr_source="unverified: assumed (vendor-set sysDescr naming the model)",
        sys_object_id=LEADSEC_OID,
        sys_object_id_source=LEADSEC_OID_SOURCE,
        ports=appliance_ports(ports, down=(len(ports),)),
        health=lambda rnd: leadsec_health(rnd, kind),
    )


def models() -> list[Model]:
    feth = [f"feth{n}" for n in range(8)]
    ge = [f"ge0/{n}" for n in range(8)]
    eth = [f"eth{n}" for n in range(8)]
    return [
        # H3C -------------------------------------------------------------------------------
        Model(
            vendor="h3c",
            model="S5500",
            kind="switch",
            slug="s5500",
            sys_descr="H3C Switch S5500-28C-EI Software Version 5.20, Release 2220P02\r\n"
            "Copyright (c) 2004-2012 Hangzhou H3C Tech. Co., Ltd. All rights reserved.",
            sys_descr_source="Comware 5 format (public display version / sysDescr samples)",
            sys_object_id="1.3.6.1.4.1.25506.1.1",
            sys_object_id_source="HH3C-PRODUCT-ID-MIB h3c-s5500-28C-EI (Open-AudIT H3C table)",
            ports=switch_ports(_ge("GigabitEthernet1/0/", 28), COMWARE_EXTRA),
            health=h3c_health,
        ),
        Model(
            vendor="h3c",
            model="S3600",
            kind="switch",
            slug="s3600",
            sys_descr="H3C Switch S3600-28P-SI Software Version 5.20, Release 2108P02\r\n"
            "Copyright (c) 2004-2010 Hangzhou H3C Tech. Co., Ltd. All rights reserved.",
            sys_descr_source="Comware 5 format as for the S5500; release unverified: assumed",
            sys_object_id="1.3.6.1.4.1.25506.1.32",
            sys_object_id_source="HH3C-PRODUCT-ID-MIB S3600-28P-SI (Open-AudIT H3C table)",
            ports=switch_ports(
                _ge("Ethernet1/0/", 24, speed=100) + _ge("GigabitEthernet1/0/", 4, start=25),
                COMWARE_EXTRA,
            ),
            health=h3c_health,
        ),
        Model(
            vendor="h3c",
            model="LS-5560-54C-EI",
            kind="switch",
            slug="ls-5560-54c-ei",
            sys_descr="H3C Comware Platform Software, Software Version 7.1.070, Release 1121P05"
            "\r\nH3C LS-5560-54C-EI\r\nCopyright (c) 2004-2017 New H3C Technologies Co., Ltd. "
            "All rights reserved.",
            sys_descr_source="Comware 7 format (public S5560-54C-EI sysDescr sample)",
            sys_object_id="1.3.6.1.4.1.25506.11.1.136",
            sys_object_id_source="under hh3c Comware 7 products 1.3.6.1.4.1.25506.11.1 (LibreNMS "
            "comware detection); the exact number unverified: assumed",
            ports=switch_ports(
                _ge("GigabitEthernet1/0/", 48)
                + _ge("Ten-GigabitEthernet1/0/", 4, start=49, speed=10_000),
                COMWARE_EXTRA,
            ),
            health=h3c7_health,
        ),
        # Huawei ----------------------------------------------------------------------------
        Model(
            vendor="huawei",
            model="S5700",
            kind="switch",
            slug="s5700",
            sys_descr="S5700-28C-EI\r\nHuawei Versatile Routing Platform Software\r\n"
            "VRP (R) software, Version 5.70 (S5700 V100R005C01SPC100)\r\n"
            "Copyright (C) 2003-2011 HUAWEI TECH CO., LTD",
            sys_descr_source="VRP 5 sysDescr format (public S5700 samples)",
            sys_object_id="1.3.6.1.4.1.2011.2.23.102",
            sys_object_id_source="under Huawei switch products 1.3.6.1.4.1.2011.2.23 (LibreNMS "
            "vrp detection); the exact number unverified: assumed",
            ports=switch_ports(
                _ge("GigabitEthernet0/0/", 28),
                [Port("Vlanif1", 1000, if_type=136), Port("NULL0", 0, if_type=1)],
            ),
            health=huawei_health,
        ),
        # Topsec ----------------------------------------------------------------------------
        _tos("NGFW4000", "firewall", feth[:6], ha=True),
        _tos("NGFW4000-UF", "firewall", feth[:8], ha=True),
        _tos("TopVPN 6000", "vpn", feth[:4], ha=True),
        _tos("TopSentry 3000", "ids", feth[:6], ha=False),
        _tos("TopFilter 8000", "av-gateway", feth[:8], ha=False),
        # Venustech -------------------------------------------------------------------------
        _usg("USG-FW-310-T-NF1600", "firewall", ge[:8]),
        _usg("USG-FW-310-T-NF1800R", "firewall", ge[:8]),
        _usg("USG-4000-N-1000DNR", "av-gateway", ge[:6]),
        _usg("USG-1008DP", "av-gateway", ge[:6]),
        # NSFOCUS ---------------------------------------------------------------------------
        Model(
            vendor="nsfocus",
            model="SASNX3-GL2100",
            kind="security-audit",
            slug="sasnx3-gl2100",
            sys_descr="NSFOCUS SAS SASNX3-GL2100 Linux 3.10.0 x86_64",
            sys_descr_source="unverified: assumed (no public sample of a SAS sysDescr)",
            sys_object_id="1.3.6.1.4.1.19849.6",
            sys_object_id_source="NSFOCUS enterprise 19849 [iana-enterprise-numbers], the 6.x "
            "arc whose CPU/memory objects public code reads; the exact value unverified: assumed",
            ports=appliance_ports(eth[:6], down=(5, 6)),
            health=nsfocus_health,
        ),
        # Leadsec ---------------------------------------------------------------------------
        _leadsec("TD3000-FS1200", "ids", eth[:6]),
        _leadsec("PowerV6000-A2350", "av-gateway", eth[:6]),
        _leadsec("PowerV6000-A3320", "av-gateway", eth[:8]),
        _leadsec("PowerV6000-F2350", "firewall", eth[:8]),
        _leadsec("LeadsecACM-C4510", "behaviour-management", eth[:6]),
        _leadsec("LA-DT-1100B", "network-audit", eth[:4]),
    ]


# --- writing --------------------------------------------------------------------------------
HEADER = """\
# {model} ({vendor}, {kind}): SNMP recording for the netmon device lab.
# Generated by scripts/make_recordings.py from the data in that script: edit the script and
# re-run it instead of editing this file. Values are invented; OIDs and value meanings carry
# their source in the comment above each section ("unverified: assumed ..." where no public
# source was found).
"""


def render(m: Model) -> str:
    rnd = random.Random(m.slug)
    sections = [system_section(m), *interface_sections(m, rnd), *m.health(rnd)]
    entries: dict[tuple[int, ...], tuple[str, str, str]] = {}
    comments: dict[tuple[int, ...], str] = {}
    for section in sections:
        keys = []
        for oid, tag, value in section.lines:
            key = tuple(int(part) for part in oid.split("."))
            if key in entries:
                raise SystemExit(f"{m.model}: duplicate OID {oid}")
            text_tag, text_value = encode(tag, value)
            entries[key] = (oid, text_tag, text_value)
            keys.append(key)
        comments[min(keys)] = section.source
    out = [HEADER.format(model=m.model, vendor=m.vendor, kind=m.kind)]
    # snmprec files are kept in OID order; a section's source is printed before its first OID.
    for key in sorted(entries):
        if key in comments:
            out.append(f"# {comments[key]}\n")
        oid, tag, value = entries[key]
        out.append(f"{oid}|{tag}|{value}\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only compare, do not write")
    parser.add_argument("--out", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    stale = []
    args.out.mkdir(parents=True, exist_ok=True)
    for m in models():
        path = args.out / f"{m.slug}.snmprec"
        text = render(m)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(path.name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
