"""The CLI: the README's tour works, and expected failures are one line on stderr with exit 1."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from chatseal.cli.main import cli

from .conftest import invoker


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI with a home under tmp_path; returns (exit code, stdout, stderr)."""
    return invoker(tmp_path / "home")


def test_tour(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """init, tenant create/list, conversations create, items add/list, delete: the README's tour."""
    code, out, _ = run("init")
    assert code == 0 and "KMS or HSM" in out
    key_file = tmp_path / "home" / "root.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert run("init")[0] == 0
    assert json.loads(run("tenant", "create", "acme")[1])["name"] == "acme"
    assert "acme" in run("tenant", "list", "--format", "table")[1]
    code, out, _ = run(
        "conversations",
        "create",
        "--tenant",
        "acme",
        "--role",
        "user",
        "--message",
        "hello",
        "--metadata",
        "topic=demo",
    )
    conv = json.loads(out)
    assert code == 0 and conv["object"] == "conversation" and conv["metadata"] == {"topic": "demo"}
    assert (
        run(
            "items",
            "add",
            conv["id"],
            "--tenant",
            "acme",
            "--role",
            "assistant",
            "--message",
            "hi!",
        )[0]
        == 0
    )
    listed = json.loads(run("items", "list", conv["id"], "--tenant", "acme", "--order", "asc")[1])
    assert [i["content"][0]["text"] for i in listed["data"]] == ["hello", "hi!"]
    assert (
        json.loads(run("items", "list", conv["id"], "--tenant", "acme", "--limit", "1")[1])[
            "has_more"
        ]
        is True
    )
    assert (
        json.loads(run("conversations", "delete", conv["id"], "--tenant", "acme")[1])["deleted"]
        is True
    )
    assert run("tenant", "delete", "acme", "--yes")[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("items", "list", "conv_missing", "--tenant", "acme"), "no conversation"),
        (("items", "list", "conv_missing", "--tenant", "nope"), "tenant 'nope' not found"),
        (("tenant", "create", "Bad Name"), "tenant names"),
        (("tenant", "create", "acme"), "already exists"),
        (("conversations", "create", "--tenant", "acme", "--metadata", "novalue"), "KEY=VALUE"),
        (("tenant", "delete", "nobody", "--yes"), "no tenant"),
    ],
)
def test_expected_failures_are_one_line(run, args: tuple[str, ...], message: str) -> None:  # type: ignore[no-untyped-def]
    """Each expected failure prints exactly one line on stderr and exits non-zero."""
    run("init")
    run("tenant", "create", "acme")
    code, out, err = run(*args)
    assert code == 1
    assert out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err


def test_another_tenants_conversation_looks_missing(run) -> None:  # type: ignore[no-untyped-def]
    """Reading acme's conversation as globex fails exactly like a missing one."""
    run("init")
    run("tenant", "create", "acme")
    run("tenant", "create", "globex")
    conv = json.loads(run("conversations", "create", "--tenant", "acme", "--message", "x")[1])
    _, _, err_other = run("items", "list", conv["id"], "--tenant", "globex")
    _, _, err_missing = run("items", "list", "conv_" + "0" * 48, "--tenant", "globex")
    assert err_other.replace(conv["id"], "ID") == err_missing.replace("conv_" + "0" * 48, "ID")


def test_no_home_is_a_clear_error(tmp_path: Path) -> None:
    """Without a home the real executable says to run init, with no traceback."""
    env = {**os.environ, "CHATSEAL_HOME": str(tmp_path / "absent")}
    done = subprocess.run(
        [sys.executable, "-m", "chatseal.cli", "tenant", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 1
    assert "chatseal init" in done.stderr and "Traceback" not in done.stderr


def test_integrity_failure_is_one_line(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A tampered ciphertext makes the CLI print the opaque integrity error, not a traceback."""
    import sqlite3

    run("init")
    run("tenant", "create", "acme")
    conv = json.loads(run("conversations", "create", "--tenant", "acme", "--message", "x")[1])
    with sqlite3.connect(tmp_path / "home" / "chatseal.db") as conn:
        conn.execute(
            "UPDATE items SET sealed = substr(sealed, 1, 20) || x'00' || substr(sealed, 22)"
        )
    code, _, err = run("items", "list", conv["id"], "--tenant", "acme")
    assert code == 1 and err.strip() == "chatseal: error: integrity check failed"


def test_every_command_has_help() -> None:
    """Every command and group documents itself in --help."""
    import click

    def walk(command: click.Command, path: list[str]) -> None:
        assert command.help, f"{' '.join(path)} has no help"
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, [*path, name])

    walk(cli, ["chatseal"])
