"""`chatseal retention …` and `chatseal erase`: purges as of a time, status, holds, receipts."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from chatseal.audit.note import Verifier
from chatseal.service.receipts import verify_receipt

from .conftest import invoker

DAY = 86_400


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A home with tenant acme and one conversation; returns (code, stdout, stderr) per call."""
    invoke = invoker(tmp_path / "home")

    invoke("init")
    invoke("tenant", "create", "acme")
    invoke("tenant", "update", "acme", "--retention-days", "30")
    out = invoke(
        "conversations", "create", "--tenant", "acme", "--subject", "ann", "--message", "hi"
    )
    invoke.conversation = json.loads(out[1])["id"]  # type: ignore[attr-defined]
    return invoke


def test_run_status_and_receipts(run) -> None:  # type: ignore[no-untyped-def]
    """Nothing is due today; in 31 days the conversation is purged with a verifiable receipt."""
    later = str(int(time.time()) + 31 * DAY)
    assert json.loads(run("retention", "run")[1])["purged"] == 0
    code, out, _ = run("retention", "status", "--json", "--at", later)
    status = json.loads(out)
    assert code == 0 and status["backlog"] == 1
    assert status["oldest_overdue"]["conversation_id"] == run.conversation
    assert "backlog:      1 due" in run("retention", "status", "--at", later)[1]
    result = json.loads(run("retention", "run", "--at", later)[1])
    assert result["purged"] == 1
    [receipt] = json.loads(run("retention", "receipts", "--tenant", "acme")[1])
    verifier = Verifier.from_vkey(run("retention", "vkey")[1])
    assert verify_receipt(receipt["note"], verifier)["counts"]["conversations"] == 1
    assert json.loads(run("retention", "status", "--json", "--at", later)[1])["adherence"] == 1.0


def test_holds(run) -> None:  # type: ignore[no-untyped-def]
    """A hold placed from the CLI keeps the conversation; released, it is purged."""
    code, out, _ = run(
        "retention", "hold", "add", "--tenant", "acme", "--conversation", run.conversation,
        "--reason", "case 17", "--owner", "counsel",
    )  # fmt: skip
    hold = json.loads(out)
    assert code == 0 and hold["scope"] == "conversation" and hold["reason"] == "case 17"
    later = "2099-01-01T00:00:00Z"
    assert json.loads(run("retention", "run", "--at", later)[1])["held"] == 1
    listed = json.loads(run("retention", "hold", "list", "--tenant", "acme")[1])
    assert [h["id"] for h in listed] == [hold["id"]]
    assert run("retention", "hold", "release", hold["id"], "--tenant", "acme")[0] == 0
    assert json.loads(run("retention", "run", "--at", later)[1])["purged"] == 1
    code, _, err = run("retention", "run", "--at", "next tuesday")
    assert code == 1 and err.startswith("chatseal: error:")


def test_erase(run) -> None:  # type: ignore[no-untyped-def]
    """`chatseal erase` destroys the subject's conversations and prints the signed receipt."""
    code, out, _ = run("erase", "--tenant", "acme", "--subject", "ann", "--yes")
    receipt = json.loads(out)
    assert code == 0 and receipt["kind"] == "erasure"
    assert receipt["counts"]["conversations"] == 1 and receipt["audit_index"] >= 0
    assert '"ann"' not in receipt["signed_note"] and receipt["subject"].startswith("sh1:")
    code, _, err = run("conversations", "show", run.conversation, "--tenant", "acme")
    assert code == 1 and "no conversation" in err
