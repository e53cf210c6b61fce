"""`chatseal keys …`: every lifecycle command through the CLI, its output, and clean refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatseal.cli.keys import keys_group

from .conftest import Invoke as Run
from .conftest import invoker

CANARY = "canary-keys-cli"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Invoke the CLI on a fresh home with tenant acme; returns (exit code, stdout, stderr)."""
    home = str(tmp_path / "home")
    monkeypatch.setenv("CHATSEAL_HOME", home)  # the root --home sets it; restore after
    invoke = invoker(home)

    assert invoke("init")[0] == 0
    assert invoke("tenant", "create", "acme")[0] == 0
    return invoke


def _conversation(run: Run) -> str:
    code, out, err = run(
        "conversations", "create", "--tenant", "acme", "--message", CANARY
    )  # fmt: skip
    assert code == 0, err
    return str(json.loads(out)["id"])


def test_lifecycle_through_the_cli(run: Run) -> None:
    """rotate, rewrap (with a progress bar), retire, destroy, shred, status: JSON, no content."""
    conv = _conversation(run)
    code, out, _ = run("keys", "rotate", "--tenant", "acme")
    assert code == 0 and json.loads(out)["primary_version"] == 2
    code, out, err = run("keys", "rewrap", "--tenant", "acme", "--batch-size", "1")
    result = json.loads(out)
    assert code == 0 and result["rewrapped"] == 1 and result["pending"] == 0
    assert "rewrap acme -> v2" in err
    code, out, _ = run("keys", "retire", "--tenant", "acme", "--min-version", "2")
    assert code == 0 and json.loads(out)["min_decryption_version"] == 2
    code, out, _ = run("keys", "destroy", "--tenant", "acme", "--version", "1")
    assert code == 0 and json.loads(out)["versions"][0]["state"] == "destroyed"
    code, out, _ = run("keys", "shred", "--tenant", "acme", "--quiet")
    assert code == 0 and json.loads(out)["destroyed_versions"] == [2]
    code, out, _ = run("keys", "reencrypt", conv, "--tenant", "acme", "--json")
    assert code == 0 and json.loads(out)["items_resealed"] == 1
    code, out, _ = run("keys", "status", "--tenant", "acme", "--json")
    (status,) = json.loads(out)
    assert code == 0 and status["primary_version"] == 3
    assert [v["state"] for v in status["versions"]] == ["destroyed", "destroyed", "active"]
    code, out, _ = run("items", "list", conv, "--tenant", "acme")
    assert code == 0 and CANARY in out


def test_status_table_and_every_tenant(run: Run) -> None:
    """Without --tenant, status covers every tenant; the default is a table, --json is JSON."""
    assert run("tenant", "create", "globex")[0] == 0
    _conversation(run)
    code, out, _ = run("keys", "status")
    assert code == 0
    header, *rows = out.splitlines()
    assert "OVERDUE" in header and "REWRAP_PENDING" in header
    assert [r.split()[0] for r in rows] == ["acme", "globex"]
    assert "v1:1(active)" in out
    code, out, _ = run("keys", "status", "--json")
    assert [t["tenant"] for t in json.loads(out)] == ["acme", "globex"]
    code, out, _ = run("keys", "rotate", "--tenant", "acme", "--format", "table")
    assert code == 0 and "v1:active v2:active" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("keys", "retire", "--tenant", "acme", "--min-version", "2"), "between"),
        (("keys", "destroy", "--tenant", "acme", "--version", "1"), "primary"),
        (("keys", "rotate", "--tenant", "nobody"), "not found"),
        (("keys", "rotate", "--tenant", "acme", "--as-role", "tenant-admin"), "key-admin"),
        (("keys", "status", "--as-role", "user"), "not allowed"),
        (("keys", "reencrypt", "conv_nope", "--tenant", "acme"), "no conversation"),
        (("keys", "rewrap", "--tenant", "acme", "--batch-size", "0"), "batch size"),
    ],
)
def test_refusals_are_one_clean_line(run: Run, args: tuple[str, ...], needle: str) -> None:
    """Expected failures exit 1 with one line on stderr, no traceback."""
    code, out, err = run(*args)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("chatseal: error:") and needle in err


def test_retire_and_destroy_wait_for_the_rewrap(run: Run) -> None:
    """Retire and destroy refuse while data keys sit on the old version, then succeed."""
    _conversation(run)
    run("keys", "rotate", "--tenant", "acme")
    code, _, err = run("keys", "retire", "--tenant", "acme", "--min-version", "2")
    assert code == 1 and "chatseal keys rewrap" in err
    code, _, err = run("keys", "destroy", "--tenant", "acme", "--version", "1")
    assert code == 1 and "still wrapped by v1" in err
    assert run("keys", "rewrap", "--tenant", "acme", "--quiet")[0] == 0
    assert run("keys", "retire", "--tenant", "acme", "--min-version", "2")[0] == 0
    assert run("keys", "destroy", "--tenant", "acme", "--version", "1")[0] == 0


def test_every_keys_command_has_help(run: Run) -> None:
    """Each keys command answers --help with its own description."""
    assert set(keys_group.commands) == {
        "rotate", "rewrap", "retire", "destroy", "shred", "status", "reencrypt"}  # fmt: skip
    for name, command in keys_group.commands.items():
        code, out, _ = run("keys", name, "--help")
        assert code == 0 and command.help and command.help.split("\n")[0][:30] in out
    code, out, _ = run("keys", "--help")
    assert code == 0 and "tenant delete" in out
