"""Issue 7's append benchmark: messages/s appended through `ChatSeal` with redaction on, against
the same appends with redaction off, in one run (interleaved rounds, medians).

Scenarios (one message per append, drawn in turn from the labelled chat set
tests/redaction/data/pii_chat.jsonl, so most messages hold personal data):
- append_redaction_off: tenant policy `redaction = off` (the baseline);
- append_redact: `redaction = redact`;
- append_pseudonymize: `redaction = pseudonymize` (HMAC tokens plus sealed token-vault rows);
- append_1k_off / append_1k_redact: bench_core's 1 KiB message without personal data (the
  redactor's cost grows with length: every word is looked up by the name recognizer).
Targets: ≥ 2,000 messages/s with redaction on (redact and pseudonymize, labelled chat set).
Absolute figures depend on the machine's load; the ratios against `off` are measured in the same
interleaved rounds.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.bench_core import MESSAGE
from benchmarks.harness import interleaved, scenario, target
from chatseal.model import Principal
from chatseal.service import ChatSeal, Session

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "redaction" / "data" / "pii_chat.jsonl"
GOAL = 2_000.0
# scenario -> (tenant redaction mode, labelled chat set or the 1 KiB message)
SCENARIOS = {
    "append_redaction_off": ("off", True),
    "append_redact": ("redact", True),
    "append_pseudonymize": ("pseudonymize", True),
    "append_1k_off": ("off", False),
    "append_1k_redact": ("redact", False),
}


def _messages() -> list[str]:
    lines = DATA.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["text"] for line in lines if line.strip()]


def _appender(session: Session, texts: list[str]) -> Callable[[int], object]:
    """One message per append, into one conversation, cycling through `texts`."""
    conv = session.conversations.create().id
    items = session.conversations.items

    def append(i: int) -> object:
        return items.create(conv, items=[{"role": "user", "content": texts[i % len(texts)]}])

    return append


def run(quick: bool = False) -> dict[str, Any]:
    """Measure appends per second with each redaction mode; return scenarios, ratios, targets."""
    count, rounds = (300, 3) if quick else (2_000, 5)
    texts = _messages()
    root = Path(tempfile.mkdtemp(prefix="chatseal-bench-min-"))
    seal = ChatSeal.open(root / "home", create=True)
    ops: dict[str, Callable[[int], object]] = {}
    for name, (mode, chat) in SCENARIOS.items():
        tenant = name.removeprefix("append_").replace("_", "-")
        seal.tenants.create(tenant, settings={"redaction": mode})
        session = seal.session(Principal.of(tenant, "alice", "user"))
        ops[name] = _appender(session, texts if chat else [MESSAGE])
    # Warm the redactor caches and the data-key cache outside the timed rounds.
    for op in ops.values():
        op(0)
    us = interleaved(ops, count, rounds)
    seal.close()
    off = us["append_redaction_off"]
    ratios = {
        "redact_vs_off": us["append_redact"] / off,
        "pseudonymize_vs_off": us["append_pseudonymize"] / off,
        "redact_1k_vs_off_1k": us["append_1k_redact"] / us["append_1k_off"],
    }
    return {
        "scenarios": {name: scenario(value) for name, value in us.items()},
        "ratios": {name: round(value, 3) for name, value in ratios.items()},
        "targets": {
            "append_redact_msgs_per_s": target(
                1e6 / us["append_redact"], ">= 2000", 1e6 / us["append_redact"] >= GOAL
            ),
            "append_pseudonymize_msgs_per_s": target(
                1e6 / us["append_pseudonymize"],
                ">= 2000",
                1e6 / us["append_pseudonymize"] >= GOAL,
            ),
        },
    }


if __name__ == "__main__":
    print(json.dumps(run(quick=False), indent=2))
