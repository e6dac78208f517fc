"""Files netmon writes are private to its user: 0600 files, 0700 directories.

Reports, git exports of configurations and the lab's ``lab.json`` (which holds the lab's
credentials) carry the same information as the store, which is 0600; whoever should read them
is given them on purpose (copied, attached, chmod-ed), never by a default umask.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700
# For child processes that create files of ours (git in the export directory).
UMASK = 0o077


def write_private(path: Path, data: bytes | str) -> None:
    """Write ``data`` to ``path`` as a 0600 file, replacing it atomically (a reader sees the
    old or the new file, never half of one; an existing file's looser mode goes with it)."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), FILE_MODE)  # mkstemp makes 0600; say so anyway
            handle.write(payload)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def make_private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents, each 0700. A directory that already exists is
    left as it is: it was the operator's choice."""
    path = Path(path)
    missing: list[Path] = []
    while not path.is_dir():
        missing.append(path)
        if path.parent == path:
            break
        path = path.parent
    for directory in reversed(missing):
        # mkdir(parents=True) would make the parents with the umask's mode, not ours.
        directory.mkdir(mode=DIR_MODE, exist_ok=True)
        os.chmod(directory, DIR_MODE)  # mkdir's mode is filtered by the umask
