"""SNMPv3 USM pieces (``collectors/snmp/usm.py``) without a network: keys, messages, refusals.

Keys are checked against RFC 3414's published vector and against pysnmp's implementation for
the SHA-2 hashes of RFC 7860. Message handling is checked on messages we build, including the
ways a forged or damaged answer must be refused.
"""

from __future__ import annotations

import hashlib

import pytest
from pyasn1.type import univ
from pysnmp.proto.secmod.rfc3414 import localkey

from collectors.snmp import codec, usm

ENGINE_ID = bytes.fromhex("80001f8880e9630000d61ff449")


def test_rfc3414_sha_key_vector() -> None:
    # RFC 3414 appendix A.3.2: password "maplesyrup", engine ID 00..02.
    engine = bytes.fromhex("000000000000000000000002")
    assert usm.password_to_key("sha1", b"maplesyrup").hex() == (
        "9fb5cc0381497b3793528939ff788d5d79145211"
    )
    assert usm.localized_key("sha1", b"maplesyrup", engine).hex() == (
        "6695febc9288e36282235fc7151f128497b38f3f"
    )


@pytest.mark.parametrize("hash_name", ["sha1", "sha224", "sha256", "sha384", "sha512"])
def test_localized_keys_equal_pysnmps(hash_name: str) -> None:
    reference = localkey.password_to_key(
        b"secret-pass", univ.OctetString(ENGINE_ID), getattr(hashlib, hash_name)
    )
    assert usm.localized_key(hash_name, b"secret-pass", ENGINE_ID) == bytes(reference)


@pytest.mark.parametrize(
    ("auth", "priv", "handled"),
    [
        ("SHA", "AES", True),
        ("SHA-256", "AES", True),
        ("sha512", "AES-256", True),
        ("SHA-384", "AES-192", True),
        ("SHA", "AES-256", False),  # a 20-octet key must be extended: left to pysnmp
        ("SHA-224", "AES-256", False),
        ("MD5", "AES", False),
        ("SHA", "DES", False),
        ("SHA", "", True),  # authNoPriv
    ],
)
def test_which_protocol_pairs_the_own_path_handles(auth: str, priv: str, handled: bool) -> None:
    assert usm.supports(auth, priv) is handled


def _user(priv: str = "AES") -> usm.UsmUser:
    return usm.UsmUser(b"netmon", "SHA256", b"auth-password", priv, b"priv-password")


def _answer(user: usm.UsmUser, flags: int, pdu: bytes, boots: int = 7, now: int = 1234) -> bytes:
    """An agent's answer built with the same rules an agent follows: ``encode_request`` signs
    and encrypts whatever PDU it is given, and the msgFlags are then set to ``flags``."""
    engine = usm.EngineTimes(ENGINE_ID, boots, now, 0.0)
    signed = usm.encode_request(42, user, engine, now, b"\x00" * 7 + b"\x01", pdu)
    if flags == user.flags:
        return signed
    position = signed.index(b"\x04\x01" + bytes((user.flags,)))
    return signed[:position] + b"\x04\x01" + bytes((flags,)) + signed[position + 3 :]


def _response_pdu(value: int = 5) -> bytes:
    var_bind = codec.tlv(
        codec.TAG_SEQUENCE,
        codec.tlv(codec.TAG_OBJECT_ID, bytes((43, 6, 1, 2, 1, 1, 3, 0))) + codec.integer(value),
    )
    return codec.tlv(
        codec.PDU_RESPONSE,
        codec.integer(42) + codec.integer(0) + codec.integer(0)
        + codec.tlv(codec.TAG_SEQUENCE, var_bind),
    )  # fmt: skip


@pytest.mark.parametrize("priv", ["AES", ""])
def test_a_signed_answer_decodes(priv: str) -> None:
    user = _user(priv)
    answer = usm.decode_message(_answer(user, user.flags, _response_pdu()), user)
    assert (answer.msg_id, answer.engine_id, answer.boots, answer.time) == (42, ENGINE_ID, 7, 1234)
    assert answer.user == b"netmon"
    assert answer.pdu.var_binds == [((1, 3, 6, 1, 2, 1, 1, 3, 0), 5)]
    assert usm.message_id(_answer(user, user.flags, _response_pdu())) == 42


def test_privacy_hides_the_pdu() -> None:
    user = _user("AES")
    message = _answer(user, user.flags, _response_pdu(value=0x5A5A5A))
    assert b"\x02\x03\x5a\x5a\x5a" not in message  # the INTEGER is not on the wire in clear


def test_a_damaged_answer_is_refused() -> None:
    user = _user()
    message = bytearray(_answer(user, user.flags, _response_pdu()))
    message[-1] ^= 0x01  # one bit of the encrypted PDU
    with pytest.raises(usm.UsmError, match="digest is wrong"):
        usm.decode_message(bytes(message), user)


def test_an_answer_signed_with_another_key_is_refused() -> None:
    user = _user()
    other = usm.UsmUser(b"netmon", "SHA256", b"another-password", "AES", b"priv-password")
    with pytest.raises(usm.UsmError, match="digest is wrong"):
        usm.decode_message(_answer(other, other.flags, _response_pdu()), user)


def test_a_discovery_probe_is_unauthenticated_and_reportable() -> None:
    probe = usm.encode_discovery(9, codec.encode_pdu(codec.PDU_GET, 9, []))
    assert usm.message_id(probe) == 9
    assert b"\x04\x01\x04" in probe  # msgFlags: reportable only


def test_report_reasons_name_the_usm_counter() -> None:
    pdu = codec.Pdu(codec.PDU_REPORT, 1, 0, 0, [((*usm.USM_STATS, 3, 0), 1)])
    assert "does not know this user" in usm.report_reason(pdu)
    pdu = codec.Pdu(codec.PDU_REPORT, 1, 0, 0, [((1, 3, 6, 1, 6, 3, 11, 2, 1, 3, 0), 1)])
    assert "1.3.6.1.6.3.11.2.1.3.0" in usm.report_reason(pdu)


def test_garbage_is_not_a_v3_message() -> None:
    assert usm.message_id(b"\x30\x03\x02\x01\x01") is None
    with pytest.raises(usm.UsmError, match="malformed"):
        usm.decode_message(b"\x30\x05\x02\x01\x03\x30\x00", _user())


def test_a_user_never_shows_its_passwords() -> None:
    assert "password" not in repr(_user())


def test_engine_time_out_of_range_is_malformed() -> None:
    user = _user(priv="")  # an agent's negative time cannot even be encrypted with
    engine = usm.EngineTimes(ENGINE_ID, 7, 1234, 0.0)
    message = usm.encode_request(42, user, engine, -5, b"\x00" * 8, _response_pdu())
    with pytest.raises(usm.UsmError, match="out of range"):
        usm.decode_message(message, user)
