"""`chatseal redact` and the tenant redaction flags: stdin to stdout, per mode and tenant."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from .conftest import invoker

TEXT = "mail jane.roe@example.com or call +1 415 555 0132\nno personal data here\n"


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Invoke the CLI with a home under tmp_path and optional stdin; returns (code, out, err)."""
    return invoker(tmp_path / "home")


def test_redact_without_a_tenant(run) -> None:  # type: ignore[no-untyped-def]
    """Default mode replaces findings by their type; lines without PII pass unchanged."""
    code, out, _ = run("redact", stdin=TEXT)
    assert code == 0
    assert out == "mail <EMAIL_ADDRESS> or call <PHONE_NUMBER>\nno personal data here\n"
    code, out, _ = run("redact", "--mode", "mask", stdin=TEXT)
    assert code == 0 and "jane.roe" not in out and out.endswith("no personal data here\n")


def test_pseudonymize_needs_a_tenant(run) -> None:  # type: ignore[no-untyped-def]
    """Tokens are per tenant, so pseudonymize without --tenant is one clean error line."""
    code, out, err = run("redact", "--mode", "pseudonymize", stdin=TEXT)
    assert code == 1 and out == "" and err.startswith("chatseal: error:")


def test_tenant_tokens_are_stable_and_distinct(run) -> None:  # type: ignore[no-untyped-def]
    """A tenant's pseudonyms repeat across runs; another tenant's differ."""
    run("init")
    created = json.loads(run("tenant", "create", "acme", "--redaction", "pseudonymize")[1])
    assert created["settings"]["redaction"] == "pseudonymize"
    run("tenant", "create", "globex")
    first = run("redact", "--tenant", "acme", stdin=TEXT)[1]
    again = run("redact", "--tenant", "acme", stdin=TEXT)[1]
    other = run("redact", "--tenant", "globex", "--mode", "pseudonymize", stdin=TEXT)[1]
    assert re.match(r"mail <EMAIL_ADDRESS_[0-9a-f]{12}> ", first)
    assert first == again and first != other


def test_tenant_update_flags(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`tenant update` sets tenant-wide and per-tier policy and the names list."""
    run("init")
    run("tenant", "create", "acme", "--tier", "confidential")
    names = tmp_path / "names.txt"
    names.write_text("Zebulon\n\nQuintessa\n", "utf-8")
    code, out, _ = run(
        "tenant", "update", "acme", "--redaction", "mask", "--retention-days", "30",
        "--names-file", str(names),
    )  # fmt: skip
    settings = json.loads(out)["settings"]
    assert code == 0 and settings["redaction"] == "mask" and settings["retention_days"] == 30
    assert settings["redaction_names"] == ["Zebulon", "Quintessa"]
    out = run("tenant", "update", "acme", "--for-tier", "public", "--redaction", "off")[1]
    settings = json.loads(out)["settings"]
    assert settings["tiers"] == {"public": {"redaction": "off"}}
    assert (
        "redaction"
        not in json.loads(run("tenant", "update", "acme", "--redaction", "default")[1])["settings"]
    )
    assert run("redact", "--tenant", "acme", "--mode", "redact", stdin="thanks, Zebulon\n")[1] == (
        "thanks, <PERSON>\n"
    )
