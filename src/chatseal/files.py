"""Files that hold secrets or must never be seen half-written.

Key files, the keyring, signing keys, witness state, checkpoints and tiles all need the same three
habits, so they live here once:
- a secret file is created 0600 from its first byte, and never overwrites one that exists;
- a file is replaced atomically: a temporary file in the same directory (0600 from its creation),
  written, optionally fsynced, given its mode, renamed over the target (POSIX `rename` is atomic),
  and the directory optionally fsynced so the rename itself survives a crash;
- writers in several processes take an exclusive `flock` on a side file.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_secret_file(path: Path, data: bytes) -> None:
    """Create a file readable by its owner only (0600), refusing to overwrite one
    (FileExistsError)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def replace_file(
    target: Path,
    data: bytes,
    *,
    mode: int = 0o600,
    fsync: bool = True,
    fsync_dir: bool = False,
) -> None:
    """Replace `target` with `data` atomically; readers see the old file or the new, whole."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            if fsync:
                out.flush()
                os.fsync(out.fileno())
        if mode != 0o600:  # mkstemp made it 0600
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if fsync_dir:
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive `flock` on `lock_path` (created 0600 if missing) across processes."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
