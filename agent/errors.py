"""Errors that netmon reports to a person: a clear message, never a traceback."""


class NetmonError(Exception):
    """An error with a message fit for the operator (names the file, line, device, field)."""

    exit_code = 2


class ProblemsError(NetmonError):
    """Every problem found in one file (inventory, settings), one line each, so the operator
    fixes them in one pass instead of one per run."""

    def __init__(self, errors: list[str] | str) -> None:
        self.errors: list[str] = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("\n".join(self.errors))

    def __str__(self) -> str:
        return "\n".join(self.errors)
