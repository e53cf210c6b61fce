"""Data minimisation on the write path: tier policy, redaction before sealing, pseudonyms, the
token vault and re-identification as an audited policy action."""

from __future__ import annotations

import base64
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatseal.audit.events import parse_event
from chatseal.clock import FixedClock
from chatseal.errors import ConfigError, InvalidRequest, NotFound, PermissionDenied
from chatseal.model import CLASSIFICATIONS, Principal
from chatseal.service import ChatSeal, RolePolicy

EMAIL = "canary.7f3a91@example.org"
PHONE = "+44 20 7946 0958"
CARD = "4111 1111 1111 1111"
TOKEN = re.compile(r"<EMAIL_ADDRESS_[0-9a-f]{12}>")
ADMIN = Principal.of("acme", "root", "tenant-admin", purpose="operations")


def encodings(secret: str) -> Iterator[bytes]:
    """The canary as UTF-8, UTF-16, hex and base64 at every alignment."""
    raw = secret.encode("utf-8")
    yield from (raw, secret.encode("utf-16-le"), secret.encode("utf-16-be"), raw.hex().encode())
    for shift in range(3):
        yield base64.b64encode(b"\0" * shift + raw)[4:-4]


def vault_rows(home: Path, conversation_id: str) -> int:
    """Count a conversation's token-vault rows straight from the database file."""
    with sqlite3.connect(home / "chatseal.db") as db:
        query = "SELECT count(*) FROM pseudonym_vault WHERE conversation_id = ?"
        return int(db.execute(query, (conversation_id,)).fetchone()[0])


def _texts(item: dict) -> str:  # type: ignore[type-arg]
    """Every text part of a message item, joined."""
    return " ".join(part["text"] for part in item["content"])


def test_policy_layers(seal: ChatSeal) -> None:
    """Built-in tier defaults < tenant-wide settings < tenant per-tier settings."""
    m = seal.minimisation
    assert m.policy({}, "restricted").redaction == "redact"
    assert m.policy({}, "internal").retention_days == 365
    settings = {"redaction": "mask", "tiers": {"public": {"redaction": "off", "retention_days": 7}}}
    assert m.policy(settings, "internal").redaction == "mask"
    public = m.policy(settings, "public")
    assert (public.redaction, public.retention_days, public.retention_seconds) == ("off", 7, 604800)
    assert m.policy({"retention_days": 0}, "public").retention_seconds is None
    assert [p.tier for p in m.tenant_policies("acme")] == list(CLASSIFICATIONS)


def test_config_tiers_override_the_defaults(tmp_path: Path, clock: FixedClock) -> None:
    """`[tiers.internal]` in chatseal.toml changes that tier, key by key; bad values are refused."""
    home = tmp_path / "cfg"
    home.mkdir()
    (home / "chatseal.toml").write_text('[tiers.internal]\nredaction = "mask"\n', "utf-8")
    with ChatSeal.open(home, create=True, clock=clock) as cs:
        internal = cs.minimisation.policy({}, "internal")
        assert (internal.redaction, internal.retention_days) == ("mask", 365)
    (home / "chatseal.toml").write_text('[tiers.internal]\nredaction = "shred"\n', "utf-8")
    with pytest.raises(ConfigError):
        ChatSeal.open(home, clock=clock)


def test_bad_tenant_settings_are_refused(seal: ChatSeal) -> None:
    """Unknown modes, tiers and non-integer retention are refused with InvalidRequest."""
    with pytest.raises(InvalidRequest):
        seal.tenants.update("acme", redaction="shred")
    with pytest.raises(InvalidRequest):
        seal.tenants.update("acme", tiers={"secret": {"redaction": "off"}})
    with pytest.raises(InvalidRequest):
        seal.tenants.create("initech", settings={"retention_days": "ten"})
    assert "redaction" not in seal.tenants.retrieve("acme").settings


def test_redact_before_sealing_with_summary(seal: ChatSeal, alice: Principal) -> None:
    """Message text, tool arguments and outputs are redacted; the item says types and counts."""
    seal.tenants.update("acme", redaction="redact")
    s = seal.session(alice)
    conv = s.conversations.create(items=[{"role": "user", "content": f"mail me at {EMAIL}"}])
    s.conversations.items.create(
        conv.id,
        items=[
            {
                "type": "function_call",
                "call_id": "c1",
                "name": "lookup",
                "arguments": f'{{"email": "{EMAIL}", "card": "{CARD}"}}',
            },
            {"type": "function_call_output", "call_id": "c1", "output": f"call {PHONE}"},
        ],
    )
    first, call, output = s.conversations.items.list(conv.id, order="asc").data
    assert _texts(first) == "mail me at <EMAIL_ADDRESS>"
    assert first["chatseal"] == {"redacted": {"EMAIL_ADDRESS": 1}}
    assert EMAIL not in call["arguments"] and CARD not in call["arguments"]
    assert call["chatseal"]["redacted"] == {"CREDIT_CARD": 1, "EMAIL_ADDRESS": 1}
    assert output["output"] == "call <PHONE_NUMBER>"


def test_mode_off_keeps_text_and_drops_forged_summaries(seal: ChatSeal, alice: Principal) -> None:
    """With redaction off the text is stored as given; a client's own `chatseal` key is dropped."""
    s = seal.session(alice)
    conv = s.conversations.create(
        items=[{"type": "note", "text": EMAIL, "chatseal": {"redacted": {"NOTHING": 9}}}]
    )
    [item] = s.conversations.items.list(conv.id).data
    assert item["text"] == EMAIL and "chatseal" not in item


def test_tier_decides_the_mode(seal: ChatSeal, alice: Principal) -> None:
    """Confidential conversations pseudonymise by default, internal ones keep the text."""
    s = seal.session(alice)
    internal = s.conversations.create(items=[{"role": "user", "content": EMAIL}])
    secret = s.conversations.create(
        items=[{"role": "user", "content": EMAIL}], classification="confidential"
    )
    assert _texts(s.conversations.items.list(internal.id).data[0]) == EMAIL
    assert TOKEN.fullmatch(_texts(s.conversations.items.list(secret.id).data[0]))


def _pseudonym(seal: ChatSeal, principal: Principal, text: str) -> tuple[str, str]:
    s = seal.session(principal)
    conv = s.conversations.create(items=[{"role": "user", "content": text}])
    return conv.id, _texts(s.conversations.items.list(conv.id).data[0])


def test_pseudonyms_stable_in_a_tenant_distinct_across(seal: ChatSeal, alice: Principal) -> None:
    """The same value gets the same token in one tenant and a different one in another."""
    seal.tenants.update("acme", redaction="pseudonymize")
    seal.tenants.update("globex", redaction="pseudonymize")
    _, one = _pseudonym(seal, alice, f"I am {EMAIL}")
    _, two = _pseudonym(seal, Principal.of("acme", "bob", "user"), f"write to {EMAIL.upper()}")
    _, other = _pseudonym(seal, Principal.of("globex", "gus", "user"), f"I am {EMAIL}")
    token = TOKEN.search(one)
    assert token is not None
    assert token.group(0) in two
    assert TOKEN.search(other) is not None and token.group(0) not in other


def _reidentify_events(seal: ChatSeal) -> list[str]:
    """The decisions of every `reidentify` event in the audit log, in order."""
    assert seal.audit is not None
    seal.audit.checkpoint()
    events = [parse_event(leaf) for leaf in seal.audit.tree.entries(0, seal.audit.tree.size)]
    return [e.decision.result for e in events if e.action == "reidentify"]


def test_reidentify_by_role_policy_and_audited(seal: ChatSeal, alice: Principal) -> None:
    """Under the built-in role policy a tenant admin gets originals back; others do not."""
    seal.authorizer = RolePolicy()
    seal.tenants.update("acme", redaction="pseudonymize")
    conv_id, text = _pseudonym(seal, alice, f"reach me at {EMAIL} please")
    token = TOKEN.search(text)
    assert token is not None
    assert seal.minimisation.reidentify(ADMIN, conv_id, [token.group(0)]) == {token.group(0): EMAIL}
    assert seal.minimisation.reidentify_text(ADMIN, conv_id, text) == (
        f"reach me at {EMAIL} please"
    )
    with pytest.raises(PermissionDenied):
        seal.minimisation.reidentify(alice, conv_id, [token.group(0)])
    other = Principal.of("globex", "root", "tenant-admin", purpose="operations")
    with pytest.raises(NotFound):
        seal.minimisation.reidentify(other, conv_id, [token.group(0)])
    assert seal.minimisation.reidentify(ADMIN, conv_id, ["<EMAIL_ADDRESS_000000000000>"]) == {}
    assert _reidentify_events(seal) == ["allow", "allow", "deny", "deny", "allow"]


def test_default_policy_denies_reidentify_and_audits(seal: ChatSeal, alice: Principal) -> None:
    """The default Cedar policy grants `reidentify` to no role (break-glass only): denied, logged."""
    seal.tenants.update("acme", redaction="pseudonymize")
    conv_id, text = _pseudonym(seal, alice, EMAIL)
    for who in (ADMIN, alice, Principal.of("acme", "bot", "agent", purpose="service")):
        with pytest.raises(PermissionDenied):
            seal.minimisation.reidentify(who, conv_id, [text])
    assert _reidentify_events(seal) == ["deny", "deny", "deny"]


def test_vault_goes_with_its_conversation(seal: ChatSeal, alice: Principal, home: Path) -> None:
    """Deleting a conversation deletes its vault entries: re-identification then finds nothing."""
    seal.tenants.update("acme", redaction="pseudonymize")
    conv_id, text = _pseudonym(seal, alice, f"{EMAIL} and {PHONE}")
    assert vault_rows(home, conv_id) == 2
    seal.session(alice).conversations.delete(conv_id)
    assert vault_rows(home, conv_id) == 0
    with pytest.raises(NotFound):
        seal.minimisation.reidentify(ADMIN, conv_id, [text])


@pytest.mark.parametrize("mode", ["redact", "mask", "pseudonymize"])
def test_pii_canary_never_at_rest(seal: ChatSeal, alice: Principal, home: Path, mode: str) -> None:
    """With redaction on, a PII canary appended in messages and tool calls is in no file."""
    seal.tenants.update("acme", redaction=mode)
    s = seal.session(alice)
    conv = s.conversations.create(items=[{"role": "user", "content": f"I am {EMAIL}"}])
    for n in range(10):
        s.conversations.items.create(
            conv.id,
            items=[
                {"role": "assistant", "content": f"noted {EMAIL} #{n}"},
                {"type": "function_call", "call_id": f"c{n}", "name": "crm", "arguments": EMAIL},
            ],
        )
    seal.store.compact()
    for path in (p for p in home.rglob("*") if p.is_file()):
        blob = path.read_bytes()
        for needle in encodings(EMAIL):
            assert needle not in blob, f"{path.name} holds the PII canary"
