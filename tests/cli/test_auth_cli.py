"""`chatseal token`, `chatseal client` and `chatseal serve` (argument checks; serving is in tests/api)."""

from __future__ import annotations

import json
from pathlib import Path

import jwt
import pytest

from chatseal.cli.token import parse_ttl

from .conftest import Invoke, invoker


@pytest.fixture
def run(tmp_path: Path) -> Invoke:
    """Invoke the CLI on a home with tenant acme."""
    invoke = invoker(tmp_path / "home")

    invoke("init")
    invoke("tenant", "create", "acme")
    return invoke


def test_token_issue_prints_only_the_token(run: Invoke) -> None:
    """`token issue` prints one JWT line carrying the requested claims and lifetime."""
    code, out, _ = run(
        "token",
        "issue",
        "--tenant",
        "acme",
        "--subject",
        "user:alice",
        "--role",
        "user",
        "--ttl",
        "1h",
        "--purpose",
        "support",
    )
    assert code == 0 and out.count("\n") == 1
    claims = jwt.decode(out.strip(), options={"verify_signature": False})
    assert (claims["tenant"], claims["sub"], claims["roles"], claims["purpose"]) == (
        "acme",
        "user:alice",
        ["user"],
        "support",
    )
    assert claims["exp"] - claims["iat"] == 3600


def test_token_issue_refuses_unknown_tenant_and_bad_ttl(run: Invoke) -> None:
    """An unknown tenant or an unreadable lifetime fails with a one-line error."""
    code, out, err = run("token", "issue", "--tenant", "nobody", "--subject", "u", "--role", "user")
    assert code == 1 and out == "" and "nobody" in err
    code, out, _ = run(
        "token", "issue", "--tenant", "acme", "--subject", "u", "--role", "user", "--ttl", "soon"
    )
    assert code != 0 and out == ""


def test_rotate_key_and_jwks(run: Invoke) -> None:
    """`token rotate-key` adds a key; `token jwks` then lists current and previous."""
    run("token", "issue", "--tenant", "acme", "--subject", "u", "--role", "user")
    code, out, _ = run("token", "rotate-key")
    kid = json.loads(out)["kid"]
    keys = json.loads(run("token", "jwks")[1])["keys"]
    assert code == 0 and len(keys) == 2 and keys[0]["kid"] == kid


def test_client_create_list_revoke(run: Invoke) -> None:
    """`client create` prints id and secret once; `list` never shows the secret; `revoke` works once."""
    code, out, _ = run(
        "client", "create", "--tenant", "acme", "--role", "agent", "--purpose", "billing"
    )
    lines = dict(line.split(": ", 1) for line in out.strip().splitlines())
    assert (
        code == 0
        and lines["client_id"].startswith("csc_")
        and lines["client_secret"].startswith("cs_secret_")
    )
    listed = run("client", "list", "--tenant", "acme")[1]
    assert lines["client_id"] in listed and lines["client_secret"] not in listed
    assert run("client", "revoke", lines["client_id"])[0] == 0
    assert run("client", "revoke", lines["client_id"])[0] == 1


def test_serve_checks_its_tls_flags(run: Invoke, tmp_path: Path) -> None:
    """`serve` refuses half a TLS configuration before binding anything."""
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    code, _, _ = run("serve", "--tls-cert", str(cert))
    assert code == 2
    code, _, _ = run("serve", "--client-ca", str(cert))
    assert code == 2


@pytest.mark.parametrize(
    ("text", "seconds"), [("900", 900), ("15m", 900), ("1h", 3600), ("2d", 172800), ("30s", 30)]
)
def test_parse_ttl(text: str, seconds: int) -> None:
    """Lifetimes read as seconds or with an s/m/h/d unit."""
    assert parse_ttl(text) == seconds
