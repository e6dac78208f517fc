"""netmon's SNMPv2c codec against pysnmp/pyasn1 as the reference, plus malformed input.

The random cases use fixed seeds, so a failure reproduces; each case is checked both ways:
messages pysnmp encodes decode to the same values with our codec as with pyasn1, and requests
our codec encodes are byte-identical to pysnmp's and decode with pyasn1 to the same fields.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest
from pyasn1.codec.ber import decoder as ber_decoder
from pyasn1.codec.ber import encoder as ber_encoder
from pysnmp.proto import rfc1902, rfc1905
from pysnmp.proto.api import v2c

from collectors.snmp import codec
from collectors.snmp.pysnmp_engine import to_codec_value

OID = tuple[int, ...]


def random_oid(rng: random.Random) -> OID:
    first = rng.choice((0, 1, 2))
    second = rng.randrange(40) if first < 2 else rng.choice((0, 5, 39, 40, 999, 2**20))
    arcs = [
        rng.choice(
            (
                rng.randrange(128),
                rng.randrange(128, 2**14),
                rng.randrange(2**28, 2**32),  # beyond 2**28: five octets per arc
                rng.randrange(2**32, 2**64),
            )
        )
        for _ in range(rng.randrange(0, 14))
    ]
    return (first, second, *arcs)


def random_value(rng: random.Random) -> Any:
    kind = rng.randrange(13)
    if kind == 0:
        return rfc1902.Integer32(rng.randrange(-(2**31), 2**31))
    if kind == 1:
        return rfc1902.OctetString(rng.randbytes(rng.choice((0, 1, 20, 127, 128, 300))))
    if kind == 2:
        return rfc1902.ObjectIdentifier(random_oid(rng))
    if kind == 3:
        return rfc1902.IpAddress(rng.randbytes(4))
    if kind == 4:
        return rfc1902.Counter32(rng.choice((0, 127, 128, 2**31, 2**32 - 1, rng.randrange(2**32))))
    if kind == 5:
        return rfc1902.Gauge32(rng.randrange(2**32))
    if kind == 6:
        return rfc1902.TimeTicks(rng.randrange(2**32))
    if kind == 7:
        return rfc1902.Counter64(rng.choice((0, 2**63, 2**64 - 1, rng.randrange(2**64))))
    if kind == 8:
        return rfc1902.Opaque(rng.randbytes(rng.randrange(10)))
    if kind == 9:
        return rfc1905.NoSuchObject("")
    if kind == 10:
        return rfc1905.NoSuchInstance("")
    if kind == 11:
        return rfc1905.EndOfMibView("")
    return rfc1902.Integer32(rng.choice((-1, -128, -129, -(2**31), 0, 2**31 - 1)))


def pysnmp_response(
    request_id: int, var_binds: list[tuple[OID, Any]], community: str = "public", status: int = 0
) -> bytes:
    pdu = v2c.ResponsePDU()
    v2c.apiPDU.set_defaults(pdu)
    v2c.apiPDU.set_request_id(pdu, request_id)
    v2c.apiPDU.set_error_status(pdu, status)
    v2c.apiPDU.set_error_index(pdu, 1 if status else 0)
    v2c.apiPDU.set_varbinds(pdu, var_binds)
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(ber_encoder.encode(message))


def pysnmp_request(
    pdu_type: int, request_id: int, community: str, oids: list[OID], max_repetitions: int = 0
) -> bytes:
    if pdu_type == codec.PDU_GET_BULK:
        pdu = v2c.GetBulkRequestPDU()
        v2c.apiBulkPDU.set_defaults(pdu)
        v2c.apiBulkPDU.set_request_id(pdu, request_id)
        v2c.apiBulkPDU.set_non_repeaters(pdu, 0)
        v2c.apiBulkPDU.set_max_repetitions(pdu, max_repetitions)
        v2c.apiBulkPDU.set_varbinds(pdu, [(oid, v2c.Null("")) for oid in oids])
    else:
        pdu = v2c.GetRequestPDU() if pdu_type == codec.PDU_GET else v2c.GetNextRequestPDU()
        v2c.apiPDU.set_defaults(pdu)
        v2c.apiPDU.set_request_id(pdu, request_id)
        v2c.apiPDU.set_varbinds(pdu, [(oid, v2c.Null("")) for oid in oids])
    message = v2c.Message()
    v2c.apiMessage.set_defaults(message)
    v2c.apiMessage.set_community(message, community)
    v2c.apiMessage.set_pdu(message, pdu)
    return bytes(ber_encoder.encode(message))


@pytest.mark.parametrize("seed", range(40))
def test_decoded_responses_equal_pysnmps(seed: int) -> None:
    rng = random.Random(seed)
    var_binds = [(random_oid(rng), random_value(rng)) for _ in range(rng.randrange(0, 60))]
    request_id = rng.randrange(0, 2**31)
    data = pysnmp_response(request_id, var_binds, community="c" * rng.randrange(1, 200))

    ours = codec.decode_response(data)
    reference, rest = ber_decoder.decode(data, asn1Spec=v2c.Message())
    assert rest == b""
    pdu = v2c.apiMessage.get_pdu(reference)
    assert ours.request_id == int(v2c.apiPDU.get_request_id(pdu)) == request_id
    assert ours.error_status == 0 and ours.error_index == 0
    assert ours.community == bytes(v2c.apiMessage.get_community(reference))
    expected = [
        (tuple(name), to_codec_value(value)) for name, value in v2c.apiPDU.get_varbinds(pdu)
    ]
    assert ours.var_binds == expected
    assert [name for name, _ in ours.var_binds] == [name for name, _ in var_binds]


@pytest.mark.parametrize("seed", range(20))
def test_encoded_requests_equal_pysnmps(seed: int) -> None:
    rng = random.Random(1000 + seed)
    oids = [random_oid(rng) for _ in range(rng.randrange(1, 40))]
    request_id = rng.randrange(0, 2**31)
    community = "".join(rng.choice("abcxyz-019") for _ in range(rng.randrange(0, 150)))
    for pdu_type in (codec.PDU_GET, codec.PDU_GET_NEXT, codec.PDU_GET_BULK):
        repetitions = rng.randrange(0, 300) if pdu_type == codec.PDU_GET_BULK else 0
        ours = codec.encode_request(
            pdu_type, request_id, community.encode(), oids, max_repetitions=repetitions
        )
        assert ours == pysnmp_request(pdu_type, request_id, community, oids, repetitions)


def test_values_come_out_as_python_types() -> None:
    var_binds = [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), rfc1902.OctetString(b"switch")),
        ((1, 3, 6, 1, 2, 1, 1, 2, 0), rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 25506))),
        ((1, 3, 6, 1, 4, 1, 1, 0), rfc1902.Integer32(-5)),
        ((1, 3, 6, 1, 4, 1, 2, 0), rfc1902.Counter64(2**64 - 1)),
        ((1, 3, 6, 1, 4, 1, 3, 0), rfc1902.IpAddress("10.1.2.3")),
        ((1, 3, 6, 1, 4, 1, 4, 2**32 - 1), rfc1902.Counter32(2**32 - 1)),
        ((1, 3, 6, 1, 4, 1, 5, 0), rfc1905.NoSuchInstance("")),
        ((1, 3, 6, 1, 4, 1, 6, 0), rfc1905.NoSuchObject("")),
        ((1, 3, 6, 1, 4, 1, 7, 0), rfc1905.EndOfMibView("")),
    ]
    decoded = codec.decode_response(pysnmp_response(7, var_binds)).var_binds
    assert decoded == [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), b"switch"),
        ((1, 3, 6, 1, 2, 1, 1, 2, 0), "1.3.6.1.4.1.25506"),
        ((1, 3, 6, 1, 4, 1, 1, 0), -5),
        ((1, 3, 6, 1, 4, 1, 2, 0), 2**64 - 1),
        ((1, 3, 6, 1, 4, 1, 3, 0), "10.1.2.3"),
        ((1, 3, 6, 1, 4, 1, 4, 2**32 - 1), 2**32 - 1),
        ((1, 3, 6, 1, 4, 1, 5, 0), codec.NO_SUCH_INSTANCE),
        ((1, 3, 6, 1, 4, 1, 6, 0), codec.NO_SUCH_OBJECT),
        ((1, 3, 6, 1, 4, 1, 7, 0), codec.END_OF_MIB_VIEW),
    ]


def test_error_status_is_reported_by_name() -> None:
    response = codec.decode_response(
        pysnmp_response(9, [((1, 3, 6, 1, 2, 1, 1, 1, 0), v2c.Null(""))], status=1)
    )
    assert (response.error_status, response.error_index, response.error_name) == (1, 1, "tooBig")


def test_unsigned_value_without_its_leading_zero_is_read_unsigned() -> None:
    # Counter32 4294967295 sent as ff ff ff ff (the 0x00 that BER wants is missing), as some
    # agents do; read as unsigned, like net-snmp's tools.
    good = pysnmp_response(3, [((1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 1), rfc1902.Counter32(2**32 - 1))])
    assert b"\x41\x05\x00\xff\xff\xff\xff" in good
    sloppy = good.replace(b"\x41\x05\x00\xff\xff\xff\xff", b"\x41\x04\xff\xff\xff\xff")
    sloppy = _fix_lengths(sloppy, -1)
    assert codec.decode_response(sloppy).var_binds[0][1] == 2**32 - 1


def _fix_lengths(message: bytes, delta: int) -> bytes:
    """Change the four enclosing short-form lengths by ``delta`` (one-varbind messages only)."""
    data = bytearray(message)
    community_end = 5 + 2 + data[6]  # message header 2, version TLV 3, community header 2
    i = community_end + 2  # first INTEGER inside the PDU
    for _ in range(3):  # request-id, error-status, error-index
        i += 2 + data[i + 1]
    # the message, the PDU, the varbind list and the varbind each have a one-octet length
    for position in (1, community_end + 1, i + 1, i + 3):
        data[position] += delta
    return bytes(data)


def test_oid_arcs_of_any_size() -> None:
    for oid in [
        (1, 3, 6, 1, 4, 1, 2**28, 2**28 - 1, 2**31, 2**32 - 1, 2**32, 2**64 - 1),
        (2, 999, 3),
        (2, 2**40),
        (0, 0),
        (1, 39, 127, 128, 16383, 16384),
    ]:
        encoded = codec.encode_request(codec.PDU_GET, 1, b"x", [oid])
        reference, _ = ber_decoder.decode(encoded, asn1Spec=v2c.Message())
        pdu = v2c.apiMessage.get_pdu(reference)
        assert tuple(v2c.apiPDU.get_varbinds(pdu)[0][0]) == oid
        content = bytes(ber_encoder.encode(rfc1902.ObjectName(oid)))[2:]
        if len(content) < 128:
            assert codec.decode_oid(content) == oid


def test_request_ids_encode_like_pysnmp() -> None:
    for request_id in (0, 1, 127, 128, 255, 256, 2**31 - 1):
        ours = codec.encode_request(codec.PDU_GET, request_id, b"c", [(1, 3, 6)])
        assert ours == pysnmp_request(codec.PDU_GET, request_id, "c", [(1, 3, 6)])


def test_negative_integers_encode_minimally_and_decode_with_pyasn1() -> None:
    # pyasn1 pads some negatives with an extra 0xff (-128 -> ff 80); X.690 8.3.2 wants the
    # shortest form (80), which both decoders read as the same number.
    for request_id in (-1, -128, -129, -(2**31)):
        ours = codec.encode_request(codec.PDU_GET, request_id, b"c", [(1, 3, 6)])
        reference, _ = ber_decoder.decode(ours, asn1Spec=v2c.Message())
        pdu = v2c.apiMessage.get_pdu(reference)
        assert int(v2c.apiPDU.get_request_id(pdu)) == request_id
    assert codec.encode_request(codec.PDU_GET, -128, b"c", [(1, 3, 6)])[10:13] == b"\x02\x01\x80"


def test_encoding_refuses_impossible_oids() -> None:
    for bad in [(1,), (3, 1), (1, 40), (1, 3, -1)]:
        with pytest.raises(codec.CodecError):
            codec.encode_request(codec.PDU_GET, 1, b"c", [bad])
    with pytest.raises(codec.CodecError):
        codec.encode_request(codec.PDU_RESPONSE, 1, b"c", [(1, 3)])


# --- malformed input ---------------------------------------------------------------------------
SAMPLE = pysnmp_response(
    42,
    [
        ((1, 3, 6, 1, 2, 1, 1, 1, 0), rfc1902.OctetString(b"x" * 200)),
        ((1, 3, 6, 1, 2, 1, 2, 2, 1, 10, 3), rfc1902.Counter32(12345)),
        ((1, 3, 6, 1, 4, 1, 2**30, 1), rfc1902.ObjectIdentifier((1, 3, 6, 1, 4, 1, 2**33))),
    ],
)


def test_every_truncation_is_a_codec_error() -> None:
    for cut in range(len(SAMPLE)):
        with pytest.raises(codec.CodecError):
            codec.decode_response(SAMPLE[:cut])


def test_random_corruption_never_escapes_as_another_exception() -> None:
    rng = random.Random(7)
    for _ in range(3000):
        data = bytearray(SAMPLE)
        for _ in range(rng.randrange(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        with contextlib.suppress(codec.CodecError):
            codec.decode_response(bytes(data))
    for _ in range(500):
        with contextlib.suppress(codec.CodecError):
            codec.decode_response(rng.randbytes(rng.randrange(0, 80)))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (SAMPLE + b"\x00", "octets after the message"),
        (b"\x30\x80" + SAMPLE[2:], "indefinite length"),
        (SAMPLE.replace(b"\x02\x01\x01", b"\x02\x01\x00", 1), "version 0 is not SNMPv2c"),
        (pysnmp_request(codec.PDU_GET, 1, "public", [(1, 3, 6)]), "Response-PDU"),
        (b"\x04\x00", "expected message"),
        (b"", "truncated"),
    ],
)
def test_malformed_messages_are_named(data: bytes, message: str) -> None:
    with pytest.raises(codec.CodecError, match=message):
        codec.decode_response(data)


def test_unknown_value_tag_is_refused() -> None:
    data = pysnmp_response(1, [((1, 3, 6, 1), rfc1902.Integer32(5))])
    assert data.endswith(b"\x02\x01\x05")
    with pytest.raises(codec.CodecError, match="unknown value tag 0x47"):
        codec.decode_response(data[:-3] + b"\x47\x01\x05")
