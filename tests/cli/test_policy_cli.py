"""`chatseal policy …` and `chatseal breakglass …`: the change workflow and the CI gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatseal.policy import content_hash, default_policy_text

from .conftest import Invoke as Run
from .conftest import invoker

CASES = Path(__file__).parent.parent / "policy" / "data" / "default_cases.toml"
SAM = ("--tenant", "acme", "--subject", "sam", "--as-role", "security-admin")
ANN = ("--tenant", "acme", "--subject", "ann", "--as-role", "approver")
AL = ("--tenant", "acme", "--subject", "al", "--as-role", "approver")


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Run:
    """Invoke the CLI on a fresh home with tenant acme; returns (exit code, stdout, stderr)."""
    home = str(tmp_path / "home")
    monkeypatch.setenv("CHATSEAL_HOME", home)
    invoke = invoker(home)

    assert invoke("init")[0] == 0
    assert invoke("tenant", "create", "acme")[0] == 0
    return invoke


def _write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return str(path)


def test_show_validate_set_approve_diff_history_rollback(run: Run, tmp_path: Path) -> None:
    """The whole change workflow through the CLI, with the two-person rule."""
    code, out, _ = run("policy", "show", *SAM)
    assert code == 0 and content_hash(out) == content_hash(default_policy_text())
    stricter = out + '\n@id("x")\nforbid (principal, action, resource) when { false };\n'
    file = _write(tmp_path, "p.cedar", stricter)
    code, out, _ = run("policy", "validate", file)
    assert code == 0 and out.startswith("valid: ")
    code, out, _ = run("policy", "set", file, *SAM)
    first = json.loads(out)
    assert code == 0 and first["status"] == "pending" and first["author"] == "sam"
    code, _, err = run("policy", "approve", first["id"], *SAM)
    assert code == 1 and "error" in err
    code, out, _ = run("policy", "approve", first["id"], *ANN)
    assert code == 0 and json.loads(out)["status"] == "active"
    code, out, _ = run("policy", "set", _write(tmp_path, "d.cedar", default_policy_text()), *SAM)
    second = json.loads(out)["id"]
    code, out, _ = run("policy", "diff", first["id"], second, *SAM)
    assert code == 0 and '-@id("x")' in out
    code, out, _ = run("policy", "rollback", first["id"], *SAM)
    back = json.loads(out)
    assert code == 0 and back["content_hash"] == first["content_hash"]
    code, out, _ = run("policy", "history", *SAM, "--format", "table")
    assert code == 0 and len(out.strip().splitlines()) == 4
    code, out, _ = run("policy", "show", *SAM, "--json")
    assert json.loads(out)["version"]["id"] == first["id"]


def test_invalid_file_and_wrong_role_fail_cleanly(run: Run, tmp_path: Path) -> None:
    """An invalid policy and a user's `set` exit 1 with one line, no traceback."""
    bad = _write(tmp_path, "bad.cedar", "permit (principal, action, resource) when { nope };")
    code, _, err = run("policy", "validate", bad)
    assert code == 1 and err.startswith("chatseal: error:")
    good = _write(tmp_path, "ok.cedar", default_policy_text())
    code, _, err = run("policy", "set", good, "--tenant", "acme", "--as-role", "user")
    assert code == 1 and "not allowed" in err


def test_policy_test_gates_on_mismatches(run: Run, tmp_path: Path) -> None:
    """`policy test` passes the shipped cases, and prints one line per mismatch and exits 1."""
    code, _, _ = run("policy", "test", str(CASES))
    assert code == 0
    code, _, _ = run("policy", "test", str(CASES), *SAM[:2])
    assert code == 0
    deny_all = _write(tmp_path, "deny.cedar", default_policy_text().replace("permit (", "forbid ("))
    code, out, _ = run("policy", "test", str(CASES), "--policy", deny_all)
    lines = [line for line in out.splitlines() if line.startswith("mismatch: ")]
    assert code == 1 and lines and len(lines) == len(out.strip().splitlines())


def test_breakglass_commands(run: Run) -> None:
    """request, approve twice (never by the requester), list, revoke."""
    code, out, err = run(
        "breakglass", "request", *SAM, "--reason", "incident 9", "--action", "item.read",
        "--duration", "30m",
    )  # fmt: skip
    assert code == 0, err
    filed = json.loads(out)
    assert filed["status"] == "pending" and filed["duration"] == 1800
    code, _, err = run(
        "breakglass", "approve", filed["id"], "--tenant", "acme", "--subject", "sam"
    )  # fmt: skip
    assert code == 1 and "error" in err
    assert run("breakglass", "approve", filed["id"], *ANN)[0] == 0
    code, out, _ = run("breakglass", "approve", filed["id"], *AL)
    assert code == 0 and json.loads(out)["status"] == "active"
    code, out, _ = run("breakglass", "list", *SAM)
    assert code == 0 and json.loads(out)[0]["reason"] == "incident 9"
    code, out, _ = run("breakglass", "revoke", filed["id"], *SAM)
    assert code == 0 and json.loads(out)["status"] == "revoked"
