"""SNMPv3 messages with the User-based Security Model, for netmon's own SNMP path.

What this module does, and where each rule comes from:

- the message (RFC 3412 section 6)::

      SNMPv3Message ::= SEQUENCE { msgVersion INTEGER (3),
          msgGlobalData SEQUENCE { msgID, msgMaxSize, msgFlags OCTET STRING (1), msgSecurityModel },
          msgSecurityParameters OCTET STRING,   -- holds UsmSecurityParameters
          msgData  ScopedPDU | OCTET STRING }   -- the encrypted ScopedPDU under privacy
      UsmSecurityParameters ::= SEQUENCE { msgAuthoritativeEngineID, msgAuthoritativeEngineBoots,
          msgAuthoritativeEngineTime, msgUserName, msgAuthenticationParameters,
          msgPrivacyParameters }                                       (RFC 3414 section 2.4)
      ScopedPDU ::= SEQUENCE { contextEngineID, contextName, data PDU }

- keys: password to key (1 MiB of the repeated password through the hash) and localisation
  to the agent's engine ID, RFC 3414 appendix A.2, with the SHA-2 hashes of RFC 7860;
- authentication: HMAC over the whole message with the authentication parameters zeroed,
  truncated to 12 (SHA-1), 16 (SHA-224), 24 (SHA-256), 32 (SHA-384) or 48 (SHA-512) octets;
- privacy: AES in CFB-128 mode, IV = engineBoots | engineTime | 64-bit salt (RFC 3826); the
  cipher itself comes from ``cryptography``. AES-192 and AES-256 are used here only when the
  localised key is already long enough (SHA-256 and stronger hashes): the two published ways of
  extending a shorter key (Blumenthal, Reeder) disagree between vendors, so those pairs go
  through pysnmp, which implements both (``SnmpClient`` decides, see ``supports``).

MD5 and DES are not offered: the inventory refuses them (agent/inventory/model.py).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 47 keeps CFB among its "decrepit" modes; SNMP's RFC 3826 still needs it
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover - older cryptography
    from cryptography.hazmat.primitives.ciphers.modes import CFB

from collectors.snmp.codec import (
    TAG_INTEGER,
    TAG_OCTET_STRING,
    TAG_SEQUENCE,
    CodecError,
    Pdu,
    decode_pdu,
    header,
    integer,
    read_int,
    tlv,
)

SNMP_V3 = 3
USM_SECURITY_MODEL = 3
MAX_MESSAGE_SIZE = 65507  # the largest UDP payload over IPv4
MAX_INT32 = 2**31 - 1

FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04

# Authentication: hash name for hashlib, and how many octets of the HMAC go on the wire.
AUTH_PROTOCOLS: dict[str, tuple[str, int]] = {
    "SHA": ("sha1", 12),  # usmHMACSHAAuthProtocol, RFC 3414
    "SHA224": ("sha224", 16),  # usmHMAC128SHA224AuthProtocol, RFC 7860
    "SHA256": ("sha256", 24),  # usmHMAC192SHA256AuthProtocol
    "SHA384": ("sha384", 32),  # usmHMAC256SHA384AuthProtocol
    "SHA512": ("sha512", 48),  # usmHMAC384SHA512AuthProtocol
}
# Privacy: AES key length in octets.
PRIV_PROTOCOLS: dict[str, int] = {"AES": 16, "AES128": 16, "AES192": 24, "AES256": 32}

# usmStats counters an agent reports when it refuses a message (RFC 3414 section 5).
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
REPORT_REASONS: dict[tuple[int, ...], str] = {
    (*USM_STATS, 1, 0): "the agent does not support the security level asked for",
    (*USM_STATS, 2, 0): "not in the agent's time window",
    (*USM_STATS, 3, 0): "the agent does not know this user",
    (*USM_STATS, 4, 0): "unknown engine ID",
    (*USM_STATS, 5, 0): "wrong authentication key or protocol (wrong digest)",
    (*USM_STATS, 6, 0): "wrong privacy key or protocol (decryption error)",
}
NOT_IN_TIME_WINDOW = (*USM_STATS, 2, 0)
UNKNOWN_ENGINE_ID = (*USM_STATS, 4, 0)


class UsmError(ValueError):
    """A message that fails USM processing (bad digest, cannot decrypt, malformed)."""


def protocol_key(name: str) -> str:
    """``SHA-256`` (inventory, net-snmp spelling) and ``sha256`` both name ``SHA256``."""
    return name.upper().replace("-", "").replace("_", "")


@lru_cache(maxsize=64)
def password_to_key(hash_name: str, password: bytes) -> bytes:
    """RFC 3414 A.2: hash 1,048,576 octets of the password repeated. Costly (a few ms), so
    cached: a fleet shares a handful of passwords."""
    if not password:
        raise UsmError("an empty SNMPv3 key")
    count = 1_048_576
    stream = (password * (count // len(password) + 1))[:count]
    return hashlib.new(hash_name, stream).digest()


@lru_cache(maxsize=1024)
def localized_key(hash_name: str, password: bytes, engine_id: bytes) -> bytes:
    """The key as one agent knows it: H(Ku | engineID | Ku)."""
    ku = password_to_key(hash_name, password)
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


@dataclass(frozen=True)
class UsmUser:
    """One SNMPv3 user: name and passwords, and the protocols the inventory names."""

    name: bytes
    auth_protocol: str  # a key of AUTH_PROTOCOLS
    auth_password: bytes
    priv_protocol: str  # a key of PRIV_PROTOCOLS, or "" for authNoPriv
    priv_password: bytes

    def __repr__(self) -> str:  # never show the passwords
        name = self.name.decode(errors="replace")
        return f"UsmUser({name}, {self.auth_protocol}/{self.priv_protocol or 'no privacy'})"

    @property
    def flags(self) -> int:
        return FLAG_AUTH | FLAG_REPORTABLE | (FLAG_PRIV if self.priv_protocol else 0)

    def auth_key(self, engine_id: bytes) -> bytes:
        return localized_key(AUTH_PROTOCOLS[self.auth_protocol][0], self.auth_password, engine_id)

    def priv_key(self, engine_id: bytes) -> bytes:
        # The privacy key is localised with the authentication hash (RFC 3826 section 1.2).
        key = localized_key(AUTH_PROTOCOLS[self.auth_protocol][0], self.priv_password, engine_id)
        size = PRIV_PROTOCOLS[self.priv_protocol]
        if len(key) < size:
            raise UsmError(
                f"{self.priv_protocol} needs a {size}-octet key; {self.auth_protocol} gives "
                f"{len(key)} (key extension is left to pysnmp)"
            )
        return key[:size]


def supports(auth_protocol: str, priv_protocol: str) -> bool:
    """Whether this module handles the pair itself (else the caller uses pysnmp)."""
    auth = AUTH_PROTOCOLS.get(protocol_key(auth_protocol))
    if auth is None:
        return False
    if not priv_protocol:
        return True
    size = PRIV_PROTOCOLS.get(protocol_key(priv_protocol))
    return size is not None and hashlib.new(auth[0]).digest_size >= size


@dataclass
class EngineTimes:
    """What the agent said of itself: engine ID, boots and time (RFC 3414 section 2.2)."""

    engine_id: bytes
    boots: int
    time: int
    received_at: float  # our monotonic clock when ``time`` was read

    def now(self, monotonic: float) -> int:
        return self.time + int(monotonic - self.received_at)


def _aes(key: bytes, boots: int, engine_time: int, salt: bytes) -> Cipher[CFB]:
    iv = boots.to_bytes(4, "big") + engine_time.to_bytes(4, "big") + salt
    return Cipher(algorithms.AES(key), CFB(iv))


def encode_discovery(msg_id: int, pdu: bytes) -> bytes:
    """The noAuthNoPriv probe that makes an agent report its engine ID, boots and time
    (RFC 3414 section 4)."""
    security = tlv(
        TAG_SEQUENCE,
        tlv(TAG_OCTET_STRING, b"")
        + integer(0)
        + integer(0)
        + tlv(TAG_OCTET_STRING, b"")
        + tlv(TAG_OCTET_STRING, b"")
        + tlv(TAG_OCTET_STRING, b""),
    )
    scoped = tlv(TAG_SEQUENCE, tlv(TAG_OCTET_STRING, b"") + tlv(TAG_OCTET_STRING, b"") + pdu)
    return _message(msg_id, FLAG_REPORTABLE, security, scoped)[0]


def _message(msg_id: int, flags: int, security: bytes, msg_data: bytes) -> tuple[bytes, int]:
    """The whole message, and where ``security`` (the UsmSecurityParameters) starts in it."""
    global_data = tlv(
        TAG_SEQUENCE,
        integer(msg_id)
        + integer(MAX_MESSAGE_SIZE)
        + tlv(TAG_OCTET_STRING, bytes((flags,)))
        + integer(USM_SECURITY_MODEL),
    )
    before = integer(SNMP_V3) + global_data
    wrapped = tlv(TAG_OCTET_STRING, security)
    content = before + wrapped + msg_data
    message = tlv(TAG_SEQUENCE, content)
    return message, len(message) - len(content) + len(before) + len(wrapped) - len(security)


def encode_request(
    msg_id: int, user: UsmUser, engine: EngineTimes, engine_time: int, salt: bytes, pdu: bytes
) -> bytes:
    """An authenticated (and, with a privacy protocol, encrypted) message carrying ``pdu``."""
    hash_name, digest_size = AUTH_PROTOCOLS[user.auth_protocol]
    scoped = tlv(
        TAG_SEQUENCE, tlv(TAG_OCTET_STRING, engine.engine_id) + tlv(TAG_OCTET_STRING, b"") + pdu
    )
    if user.priv_protocol:
        encryptor = _aes(user.priv_key(engine.engine_id), engine.boots, engine_time, salt)
        encryptor_ctx = encryptor.encryptor()
        msg_data = tlv(TAG_OCTET_STRING, encryptor_ctx.update(scoped) + encryptor_ctx.finalize())
        priv_params = salt
    else:
        msg_data, priv_params = scoped, b""
    # The digest replaces a zeroed placeholder; its offset follows from the parts' lengths.
    head = (
        tlv(TAG_OCTET_STRING, engine.engine_id)
        + integer(engine.boots)
        + integer(engine_time)
        + tlv(TAG_OCTET_STRING, user.name)
    )
    params = head + tlv(TAG_OCTET_STRING, bytes(digest_size)) + tlv(TAG_OCTET_STRING, priv_params)
    security = tlv(TAG_SEQUENCE, params)
    message, security_at = _message(msg_id, user.flags, security, msg_data)
    digest_at = security_at + len(security) - len(params) + len(head) + 2  # tag, length < 128
    digest = hmac.new(user.auth_key(engine.engine_id), message, hash_name).digest()
    return message[:digest_at] + digest[:digest_size] + message[digest_at + digest_size :]


@dataclass(frozen=True)
class Incoming:
    """A decoded, verified and decrypted answer."""

    msg_id: int
    flags: int
    engine_id: bytes
    boots: int
    time: int
    user: bytes
    pdu: Pdu


def message_id(data: bytes) -> int | None:
    """The msgID of an SNMPv3 message, read without verifying anything; None if ``data`` is
    not one. The transport uses it to find the waiting request."""
    try:
        start, stop = header(data, 0, len(data), TAG_SEQUENCE, "message")
        start, i = header(data, start, stop, TAG_INTEGER, "version")
        if read_int(data, start, i, "version") != SNMP_V3:
            return None
        i, _ = header(data, i, stop, TAG_SEQUENCE, "msgGlobalData")
        start, i = header(data, i, stop, TAG_INTEGER, "msgID")
        return read_int(data, start, i, "msgID")
    except CodecError:
        return None


def decode_message(data: bytes, user: UsmUser | None) -> Incoming:
    """Decode an answer; with ``user``, verify its digest and decrypt it. Without a user only
    unauthenticated messages (discovery reports) are accepted."""
    try:
        return _decode(data, user)
    except CodecError as error:
        raise UsmError(f"malformed SNMPv3 message: {error}") from None


def _decode(data: bytes, user: UsmUser | None) -> Incoming:
    end = len(data)
    start, stop = header(data, 0, end, TAG_SEQUENCE, "message")
    if stop != end:
        raise CodecError("octets after the message")
    start, i = header(data, start, stop, TAG_INTEGER, "version")
    if read_int(data, start, i, "version") != SNMP_V3:
        raise CodecError("not an SNMPv3 message")
    i, global_end = header(data, i, stop, TAG_SEQUENCE, "msgGlobalData")
    start, i = header(data, i, global_end, TAG_INTEGER, "msgID")
    msg_id = read_int(data, start, i, "msgID")
    start, i = header(data, i, global_end, TAG_INTEGER, "msgMaxSize")
    start, i = header(data, i, global_end, TAG_OCTET_STRING, "msgFlags")
    if i - start != 1:
        raise CodecError("msgFlags is not one octet")
    flags = data[start]
    start, i = header(data, i, global_end, TAG_INTEGER, "msgSecurityModel")
    if read_int(data, start, i, "msgSecurityModel") != USM_SECURITY_MODEL:
        raise CodecError("not the User-based Security Model")
    sec_start, sec_end = header(data, global_end, stop, TAG_OCTET_STRING, "msgSecurityParameters")
    j, params_end = header(data, sec_start, sec_end, TAG_SEQUENCE, "UsmSecurityParameters")
    start, j = header(data, j, params_end, TAG_OCTET_STRING, "msgAuthoritativeEngineID")
    engine_id = data[start:j]
    start, j = header(data, j, params_end, TAG_INTEGER, "msgAuthoritativeEngineBoots")
    boots = read_int(data, start, j, "engine boots")
    start, j = header(data, j, params_end, TAG_INTEGER, "msgAuthoritativeEngineTime")
    engine_time = read_int(data, start, j, "engine time")
    start, j = header(data, j, params_end, TAG_OCTET_STRING, "msgUserName")
    user_name = data[start:j]
    auth_start, auth_end = header(
        data, j, params_end, TAG_OCTET_STRING, "msgAuthenticationParameters"
    )
    j = auth_end
    start, j = header(data, j, params_end, TAG_OCTET_STRING, "msgPrivacyParameters")
    salt = data[start:j]
    if not (0 <= boots <= MAX_INT32 and 0 <= engine_time <= MAX_INT32):
        raise CodecError("engine boots or time out of range (0..2147483647)")

    if flags & FLAG_AUTH:
        if user is None:
            raise UsmError("an authenticated message where none was expected")
        hash_name, digest_size = AUTH_PROTOCOLS[user.auth_protocol]
        if auth_end - auth_start != digest_size:
            raise UsmError("authentication parameters of the wrong length")
        received = data[auth_start : auth_start + digest_size]
        zeroed = data[:auth_start] + bytes(digest_size) + data[auth_start + digest_size :]
        expected = hmac.new(user.auth_key(engine_id), zeroed, hash_name).digest()[:digest_size]
        if not hmac.compare_digest(received, expected):
            raise UsmError("the answer's digest is wrong (another key, or a forged message)")
    elif flags & FLAG_PRIV:
        raise UsmError("privacy without authentication")

    if flags & FLAG_PRIV:
        assert user is not None  # privacy came with authentication, which needs the user
        if not user.priv_protocol:
            raise UsmError("an encrypted answer to a user without privacy")
        if len(salt) != 8:
            raise UsmError("privacy parameters are not 8 octets")
        start, scoped_end = header(data, sec_end, stop, TAG_OCTET_STRING, "encryptedPDU")
        decryptor = _aes(user.priv_key(engine_id), boots, engine_time, salt).decryptor()
        plain = decryptor.update(data[start:scoped_end]) + decryptor.finalize()
        scoped, scoped_stop = plain, len(plain)
        k = 0
    else:
        scoped, k, scoped_stop = data, sec_end, stop
    # Some agents pad the plaintext to the cipher's block: only the SEQUENCE itself counts.
    k, scoped_end = header(scoped, k, scoped_stop, TAG_SEQUENCE, "ScopedPDU")
    _start, k = header(scoped, k, scoped_end, TAG_OCTET_STRING, "contextEngineID")
    _start, k = header(scoped, k, scoped_end, TAG_OCTET_STRING, "contextName")
    pdu = decode_pdu(scoped, k, scoped_end)
    return Incoming(msg_id, flags, engine_id, boots, engine_time, user_name, pdu)


def report_reason(pdu: Pdu) -> str:
    """Why the agent sent a Report, in words (the usmStats counter it names)."""
    for name, _value in pdu.var_binds:
        reason = REPORT_REASONS.get(name)
        if reason:
            return reason
    names = ", ".join(".".join(map(str, name)) for name, _ in pdu.var_binds) or "no varbinds"
    return f"the agent sent a Report ({names})"
