"""`/v1/audit/…`: auditors get checkpoints, proofs, receipts and their tenant's entries, which
verify with the published key; nobody else reads the log; no content is ever in it."""

from __future__ import annotations

import base64

import httpx
import pytest

from chatseal.audit.checkpoint import open_checkpoint
from chatseal.audit.merkle import leaf_hash, verify_consistency, verify_inclusion
from chatseal.audit.note import Verifier
from chatseal.audit.proof import verify_receipt

from .conftest import Live

CANARY = "CANARY-audit-api-77c1"


def _get(live: Live, path: str, token: str, **params: object) -> httpx.Response:
    return httpx.get(live.url + path, params=params, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def auditor(live: Live) -> str:
    """A token of acme's auditor, after some traffic in both tenants."""
    for tenant in ("acme", "globex"):
        client = live.client(live.token(tenant=tenant, subject=f"user:{tenant}"))
        client.conversations.create(items=[{"role": "user", "content": CANARY}])
    assert live.seal.audit is not None
    live.seal.audit.checkpoint()
    return live.token(subject="auditor:ann", roles=("auditor",))


def test_checkpoint_and_proofs_verify(live: Live, auditor: str) -> None:
    """The checkpoint verifies with the vkey; inclusion and consistency proofs verify against it."""
    vkey = _get(live, "/v1/audit/vkey", auditor)
    assert vkey.status_code == 200 and vkey.headers["content-type"].startswith("text/plain")
    verifier = Verifier.from_vkey(vkey.text.strip())
    note = _get(live, "/v1/audit/checkpoint", auditor)
    assert note.status_code == 200
    checkpoint = open_checkpoint(note.text, verifier)
    size = checkpoint.size
    assert size >= 4
    entries = _get(live, "/v1/audit/entries", auditor, start=0, end=size).json()["entries"]
    index = size - 1
    proof = _get(live, "/v1/audit/proof/inclusion", auditor, index=index, tree_size=size).json()
    hashes = [base64.b64decode(h) for h in proof["hashes"]]
    leaf = base64.b64decode(entries[index]["leaf_hash"])
    assert verify_inclusion(leaf, index, size, hashes, checkpoint.root)
    assert not verify_inclusion(leaf, index - 1, size, hashes, checkpoint.root)
    first = size // 2
    first_root = live.seal.audit.tree.root(first) if live.seal.audit else b""
    cons = _get(live, "/v1/audit/proof/consistency", auditor, first=first, second=size).json()
    assert verify_consistency(
        first, size, first_root, checkpoint.root, [base64.b64decode(h) for h in cons["hashes"]]
    )


def test_entries_show_only_own_tenant_data(live: Live, auditor: str) -> None:
    """An acme auditor gets acme's events in full and only the hashes of globex's; no content."""
    size = live.seal.audit.tree.size if live.seal.audit else 0
    start = max(0, size - 200)
    body = _get(live, "/v1/audit/entries", auditor, start=start, end=size).json()
    tenants = set()
    for entry in body["entries"]:
        if "data" in entry:
            data = base64.b64decode(entry["data"])
            assert base64.b64decode(entry["leaf_hash"]) == leaf_hash(data)
            assert CANARY.encode() not in data
            tenants.add(b'"tenant":"acme"' in data)
    assert tenants == {True}
    assert any("data" not in e for e in body["entries"])


def test_receipt_verifies(live: Live, auditor: str) -> None:
    """A receipt from the API verifies for the leaf it names."""
    verifier = Verifier.from_vkey(_get(live, "/v1/audit/vkey", auditor).text.strip())
    size = int(_get(live, "/v1/audit/checkpoint", auditor).text.split("\n")[1])
    assert live.seal.audit is not None
    leaf = live.seal.audit.tree.entries(size - 1, size)[0]
    receipt = _get(live, f"/v1/audit/receipt/{size - 1}", auditor)
    assert receipt.status_code == 200
    assert verify_receipt(receipt.text, leaf, verifier)


@pytest.mark.parametrize("roles", [("user",), ("agent",), ("key-admin",), ("tenant-admin",)])
def test_only_auditors_read_the_log(live: Live, roles: tuple[str, ...]) -> None:
    """Other roles get 403 on the audit log (it is their tenant's, so it is visible)."""
    token = live.token(subject="someone", roles=roles, purpose="operations")
    answer = _get(live, "/v1/audit/checkpoint", token)
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/audit/proof/inclusion", {"index": 5, "tree_size": 10**12}),
        ("/v1/audit/proof/inclusion", {"index": "x", "tree_size": 1}),
        ("/v1/audit/proof/consistency", {"first": 3, "second": 2}),
        ("/v1/audit/entries", {"start": 0, "end": 10**6}),
        ("/v1/audit/entries", {"start": -1, "end": 1}),
        ("/v1/audit/receipt/99999999", {}),
    ],
)
def test_bad_parameters_are_400(
    live: Live, auditor: str, path: str, params: dict[str, object]
) -> None:
    """Out-of-range or malformed parameters answer 400 in OpenAI's error shape."""
    answer = _get(live, path, auditor, **params)
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_no_token_is_401(live: Live) -> None:
    """The audit log needs a credential."""
    assert httpx.get(live.url + "/v1/audit/checkpoint").status_code == 401
