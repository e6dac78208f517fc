"""A small BER codec for the SNMPv2c hot path: encode GET/GETBULK requests, decode responses.

Why it exists: pysnmp decodes every response through pyasn1, which builds a tree of typed
Python objects per varbind (~100 us of CPU each here); a health poll needs only the numbers.
This module reads the same bytes straight into Python values (``int``, ``bytes``, ``str``)
and is ~10x cheaper. pysnmp stays the engine for SNMPv3 and is the reference the tests compare
this codec against (tests/snmp/test_codec.py).

Wire format (RFC 3416 PDUs in the RFC 1901 community message, BER per X.690 with the RFC 3417
restriction to definite lengths)::

    Message  ::= SEQUENCE { version INTEGER (1 = v2c), community OCTET STRING, data PDU }
    PDU      ::= [context n] SEQUENCE { request-id, error-status, error-index, VarBindList }
    GetBulk  ::= [5] SEQUENCE { request-id, non-repeaters, max-repetitions, VarBindList }
    VarBind  ::= SEQUENCE { name OBJECT IDENTIFIER, value }

Values are returned as netmon's client returns them: INTEGER and the unsigned application types
(Counter32, Gauge32, TimeTicks, Counter64) as ``int``; OCTET STRING and Opaque as ``bytes``;
OBJECT IDENTIFIER and IpAddress as dotted ``str``; NULL and the three v2 exceptions as the
singletons below (the client maps them to ``None``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

OID = tuple[int, ...]

# Universal and SNMP application tags (RFC 2578 section 7.1, RFC 3416 section 3).
TAG_INTEGER = 0x02
TAG_OCTET_STRING = 0x04
TAG_NULL = 0x05
TAG_OBJECT_ID = 0x06
TAG_SEQUENCE = 0x30
TAG_IP_ADDRESS = 0x40
TAG_COUNTER32 = 0x41
TAG_GAUGE32 = 0x42
TAG_TIMETICKS = 0x43
TAG_OPAQUE = 0x44
TAG_COUNTER64 = 0x46
TAG_NO_SUCH_OBJECT = 0x80
TAG_NO_SUCH_INSTANCE = 0x81
TAG_END_OF_MIB_VIEW = 0x82

PDU_GET = 0xA0
PDU_GET_NEXT = 0xA1
PDU_RESPONSE = 0xA2
PDU_GET_BULK = 0xA5
PDU_REPORT = 0xA8  # SNMPv3 engines answer with a Report when security fails (RFC 3412)

SNMP_V2C = 1  # the version field's value for SNMPv2c (RFC 1901)

ERROR_STATUS_NAMES = (
    "noError", "tooBig", "noSuchName", "badValue", "readOnly", "genErr", "noAccess",
    "wrongType", "wrongLength", "wrongEncoding", "wrongValue", "noCreation",
    "inconsistentValue", "resourceUnavailable", "commitFailed", "undoFailed",
    "authorizationError", "notWritable", "inconsistentName",
)  # fmt: skip


class CodecError(ValueError):
    """A datagram that is not a well-formed SNMPv2c message."""


class NoValue:
    """noSuchObject / noSuchInstance / endOfMibView: a varbind that carries no value."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


NULL = NoValue("null")
NO_SUCH_OBJECT = NoValue("noSuchObject")
NO_SUCH_INSTANCE = NoValue("noSuchInstance")
END_OF_MIB_VIEW = NoValue("endOfMibView")

Value = int | bytes | str | NoValue
VarBind = tuple[OID, Value]


@dataclass(frozen=True, slots=True)
class Pdu:
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    var_binds: list[VarBind]

    @property
    def error_name(self) -> str:
        return error_name(self.error_status)


def error_name(status: int) -> str:
    if 0 <= status < len(ERROR_STATUS_NAMES):
        return ERROR_STATUS_NAMES[status]
    return f"error {status}"


@dataclass(frozen=True, slots=True)
class Response:
    request_id: int
    error_status: int
    error_index: int
    var_binds: list[VarBind]
    community: bytes

    @property
    def error_name(self) -> str:
        return error_name(self.error_status)


# --- encoding -----------------------------------------------------------------------------------
def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _length(len(content)) + content


def integer(value: int) -> bytes:
    size = (value + (value < 0)).bit_length() // 8 + 1  # room for the sign bit
    return tlv(TAG_INTEGER, value.to_bytes(size, "big", signed=True))


def _oid_content(oid: OID) -> bytes:
    if len(oid) < 2 or oid[0] > 2 or (oid[0] < 2 and oid[1] >= 40) or min(oid) < 0:
        raise CodecError(f"cannot encode OID {oid!r}")
    out = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        if arc < 0x80:
            out.append(arc)
            continue
        chunk = bytearray()
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        chunk[0] &= 0x7F
        chunk.reverse()
        out += chunk
    return bytes(out)


@lru_cache(maxsize=65_536)
def _null_var_bind(oid: OID) -> bytes:
    """``SEQUENCE { oid, NULL }``; cached because a poller asks for the same OIDs every time."""
    return tlv(TAG_SEQUENCE, tlv(TAG_OBJECT_ID, _oid_content(oid)) + b"\x05\x00")


def encode_pdu(
    pdu_type: int,
    request_id: int,
    oids: list[OID] | tuple[OID, ...],
    *,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A GET / GETNEXT / GETBULK PDU asking for ``oids`` (values NULL); v2c and v3 carry the
    same PDU, in a community message or a scoped PDU."""
    if pdu_type == PDU_GET_BULK:
        second, third = non_repeaters, max_repetitions
    elif pdu_type in (PDU_GET, PDU_GET_NEXT):
        second = third = 0
    else:
        raise CodecError(f"not a request PDU type: 0x{pdu_type:02x}")
    var_binds = b"".join(_null_var_bind(tuple(oid)) for oid in oids)
    return tlv(
        pdu_type,
        integer(request_id) + integer(second) + integer(third) + tlv(TAG_SEQUENCE, var_binds),
    )


def encode_request(
    pdu_type: int,
    request_id: int,
    community: bytes,
    oids: list[OID] | tuple[OID, ...],
    *,
    non_repeaters: int = 0,
    max_repetitions: int = 0,
) -> bytes:
    """A v2c GET / GETNEXT / GETBULK message asking for ``oids`` (values NULL)."""
    pdu = encode_pdu(
        pdu_type, request_id, oids, non_repeaters=non_repeaters, max_repetitions=max_repetitions
    )
    return tlv(TAG_SEQUENCE, integer(SNMP_V2C) + tlv(TAG_OCTET_STRING, community) + pdu)


# --- decoding -----------------------------------------------------------------------------------
def header(data: bytes, i: int, end: int, tag: int, what: str) -> tuple[int, int]:
    """Check the tag at ``i``; return (content start, content end) within ``end``."""
    if i + 2 > end:
        raise CodecError(f"truncated before {what}")
    if data[i] != tag:
        raise CodecError(f"expected {what} (tag 0x{tag:02x}), found tag 0x{data[i]:02x}")
    return _span(data, i, end, what)


def _span(data: bytes, i: int, end: int, what: str) -> tuple[int, int]:
    length = data[i + 1]
    start = i + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise CodecError(f"indefinite length in {what} (SNMP allows definite lengths only)")
        if count > 4 or start + count > end:
            raise CodecError(f"bad length of {what}")
        length = int.from_bytes(data[start : start + count], "big")
        start += count
    stop = start + length
    if stop > end:
        raise CodecError(f"{what} runs past the end of its container")
    return start, stop


def read_int(data: bytes, start: int, stop: int, what: str) -> int:
    if start == stop:
        raise CodecError(f"empty INTEGER in {what}")
    return int.from_bytes(data[start:stop], "big", signed=True)


_oid_cache: dict[bytes, OID] = {}
_OID_CACHE_LIMIT = 200_000


def decode_oid(content: bytes) -> OID:
    """OBJECT IDENTIFIER contents -> arcs (X.690 8.19); any arc size, cached by contents."""
    cached = _oid_cache.get(content)
    if cached is not None:
        return cached
    if not content:
        raise CodecError("empty OBJECT IDENTIFIER")
    if content.isascii():  # every arc < 128: one byte each (the common case)
        arcs = list(content)
    else:
        if content[-1] & 0x80:
            raise CodecError("OBJECT IDENTIFIER ends inside an arc")
        arcs = []
        arc = 0
        for byte in content:
            if arc == 0 and byte == 0x80:
                raise CodecError("OBJECT IDENTIFIER arc with a leading 0x80 octet")
            arc = (arc << 7) | (byte & 0x7F)
            if not byte & 0x80:
                arcs.append(arc)
                arc = 0
    first = arcs[0]
    if first < 40:
        head: OID = (0, first)
    elif first < 80:
        head = (1, first - 40)
    else:
        head = (2, first - 80)
    oid = head + tuple(arcs[1:])
    if len(_oid_cache) >= _OID_CACHE_LIMIT:
        _oid_cache.clear()
    _oid_cache[content] = oid
    return oid


_UNSIGNED_TAGS = frozenset((TAG_COUNTER32, TAG_GAUGE32, TAG_TIMETICKS, TAG_COUNTER64))
_EXCEPTIONS = {
    TAG_NULL: NULL,
    TAG_NO_SUCH_OBJECT: NO_SUCH_OBJECT,
    TAG_NO_SUCH_INSTANCE: NO_SUCH_INSTANCE,
    TAG_END_OF_MIB_VIEW: END_OF_MIB_VIEW,
}


def _value(data: bytes, tag: int, start: int, stop: int) -> Value:
    if tag in (TAG_OCTET_STRING, TAG_OPAQUE):
        return data[start:stop]
    if tag == TAG_INTEGER:
        return read_int(data, start, stop, "a varbind")
    if tag in _UNSIGNED_TAGS:
        if start == stop:
            raise CodecError("empty unsigned value in a varbind")
        # Unsigned types are INTEGER-encoded with a leading 0x00 when the top bit is set; some
        # agents omit it, so the octets are read as unsigned (as net-snmp's own tools do).
        return int.from_bytes(data[start:stop], "big")
    if tag == TAG_OBJECT_ID:
        return ".".join(map(str, decode_oid(data[start:stop])))
    if tag == TAG_IP_ADDRESS:
        if stop - start != 4:
            raise CodecError(f"IpAddress of {stop - start} octets")
        return ".".join(map(str, data[start:stop]))
    exception = _EXCEPTIONS.get(tag)
    if exception is not None:
        if start != stop:
            raise CodecError(f"{exception.name} with contents")
        return exception
    raise CodecError(f"unknown value tag 0x{tag:02x} in a varbind")


def decode_response(data: bytes) -> Response:
    """Decode a v2c Response-PDU message; raise ``CodecError`` for anything else."""
    end = len(data)
    start, stop = header(data, 0, end, TAG_SEQUENCE, "message")
    if stop != end:
        raise CodecError("octets after the message")
    start, i = header(data, start, stop, TAG_INTEGER, "version")
    version = read_int(data, start, i, "version")
    if version != SNMP_V2C:
        raise CodecError(f"message version {version} is not SNMPv2c")
    start, i = header(data, i, stop, TAG_OCTET_STRING, "community")
    community = data[start:i]
    pdu = decode_pdu(data, i, stop)
    if pdu.pdu_type != PDU_RESPONSE:
        raise CodecError(f"expected a Response-PDU, found PDU type 0x{pdu.pdu_type:02x}")
    return Response(pdu.request_id, pdu.error_status, pdu.error_index, pdu.var_binds, community)


def decode_pdu(data: bytes, i: int, stop: int) -> Pdu:
    """The Response- or Report-PDU that fills ``data[i:stop]`` exactly."""
    if i + 2 > stop or data[i] not in (PDU_RESPONSE, PDU_REPORT):
        found = f"tag 0x{data[i]:02x}" if i < stop else "nothing"
        raise CodecError(f"expected a Response-PDU or Report-PDU, found {found}")
    pdu_type = data[i]
    start, pdu_end = _span(data, i, stop, "PDU")
    if pdu_end != stop:
        raise CodecError("octets after the PDU")
    start, i = header(data, start, pdu_end, TAG_INTEGER, "request-id")
    request_id = read_int(data, start, i, "request-id")
    start, i = header(data, i, pdu_end, TAG_INTEGER, "error-status")
    error_status = read_int(data, start, i, "error-status")
    start, i = header(data, i, pdu_end, TAG_INTEGER, "error-index")
    error_index = read_int(data, start, i, "error-index")
    i, list_end = header(data, i, pdu_end, TAG_SEQUENCE, "varbind list")
    if list_end != pdu_end:
        raise CodecError("octets after the varbind list")

    var_binds: list[VarBind] = []
    append = var_binds.append
    oid_cache = _oid_cache
    while i < list_end:
        # Inlined tag/length reading: this loop runs once per varbind and dominates the cost.
        if data[i] != TAG_SEQUENCE or i + 2 > list_end:
            raise CodecError("expected a varbind SEQUENCE")
        vb_start, vb_end = _span(data, i, list_end, "varbind")
        if vb_start + 2 > vb_end or data[vb_start] != TAG_OBJECT_ID:
            raise CodecError("varbind without an OBJECT IDENTIFIER name")
        name_start, name_end = _span(data, vb_start, vb_end, "varbind name")
        name_bytes = data[name_start:name_end]
        name = oid_cache.get(name_bytes)
        if name is None:
            name = decode_oid(name_bytes)
        if name_end + 2 > vb_end:
            raise CodecError("varbind without a value")
        value_start, value_end = _span(data, name_end, vb_end, "varbind value")
        if value_end != vb_end:
            raise CodecError("octets after a varbind value")
        append((name, _value(data, data[name_end], value_start, value_end)))
        i = vb_end
    return Pdu(pdu_type, request_id, error_status, error_index, var_binds)
