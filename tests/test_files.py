"""chatseal.files: secret files created 0600 and never overwritten, atomic replacement, and an
exclusive lock that holds across processes."""

from __future__ import annotations

import multiprocessing
import stat
import time
from pathlib import Path

import pytest

from chatseal.files import exclusive_lock, replace_file, write_secret_file


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_secret_files_are_0600_and_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "secret.key"
    write_secret_file(path, b"one")
    assert _mode(path) == 0o600
    with pytest.raises(FileExistsError):
        write_secret_file(path, b"two")
    assert path.read_bytes() == b"one"


def test_replace_keeps_the_mode_asked_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    replace_file(target, b"new")
    assert target.read_bytes() == b"new" and _mode(target) == 0o600
    replace_file(target, b"public", mode=0o644, fsync=False, fsync_dir=True)
    assert target.read_bytes() == b"public" and _mode(target) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def test_a_failed_replace_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_bytes(b"old")
    with pytest.raises(TypeError):
        replace_file(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["state.json"]


def _hold(lock: str, entered: str, seconds: float) -> None:
    with exclusive_lock(Path(lock)):
        Path(entered).write_text(str(time.monotonic()))
        time.sleep(seconds)


def test_the_lock_excludes_another_process(tmp_path: Path) -> None:
    lock, entered = tmp_path / "x.lock", tmp_path / "entered"
    other = multiprocessing.get_context("spawn").Process(
        target=_hold, args=(str(lock), str(entered), 0.5)
    )
    other.start()
    deadline = time.monotonic() + 30
    while not entered.exists():
        assert time.monotonic() < deadline, "the other process never took the lock"
        time.sleep(0.01)
    with exclusive_lock(lock):
        waited_until = time.monotonic()
    other.join(timeout=30)
    assert waited_until - float(entered.read_text()) >= 0.45
    assert _mode(lock) == 0o600
