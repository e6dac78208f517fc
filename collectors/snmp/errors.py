"""Errors of one SNMP exchange with one device."""

from __future__ import annotations


class SnmpError(Exception):
    """A failed SNMP exchange with one device (timeout, auth failure, error status)."""


class SnmpTimeout(SnmpError):
    """No (matching) answer within the target's timeout and retries."""
