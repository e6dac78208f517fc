"""Errors that netmon reports to a person: a clear message, never a traceback."""


class NetmonError(Exception):
    """An error with a message fit for the operator (names the file, line, device, field)."""

    exit_code = 2
