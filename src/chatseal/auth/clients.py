"""OAuth2 clients for services (RFC 6749 §4.4, client credentials).

A client id is public; the secret is shown once and stored only as HMAC-SHA256 under a server
pepper (a 0600 file in the home). Secrets carry 256 bits from the CSPRNG, so a fast keyed hash is
enough: there is nothing to brute-force, and the pepper keeps a stolen database from even testing
guesses. Lookups go by client id; the hash is compared with `hmac.compare_digest`.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path

from chatseal.auth.tokens import check_names
from chatseal.errors import AuthenticationError, ConfigError, NotFound
from chatseal.files import write_secret_file
from chatseal.service import ChatSeal
from chatseal.store.base import ClientRow

PEPPER_FILE = "client-pepper.key"
CLIENT_PREFIX = "csc_"
SECRET_PREFIX = "cs_secret_"  # noqa: S105  (a prefix, not a secret)
MAX_CREDENTIAL_CHARS = 256


@dataclass(frozen=True)
class ClientInfo:
    """What `client create` and `client list` show (never the secret or its hash)."""

    client_id: str
    tenant: str
    roles: list[str]
    purpose: str | None
    created_at: int
    revoked_at: int | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready view."""
        return {
            "client_id": self.client_id,
            "tenant": self.tenant,
            "roles": self.roles,
            "purpose": self.purpose,
            "created_at": self.created_at,
            "revoked_at": self.revoked_at,
        }


def load_pepper(home: Path, *, create: bool = False) -> bytes:
    """Read (or create, 0600) the server pepper."""
    path = Path(home) / PEPPER_FILE
    if not path.exists():
        if not create:
            raise ConfigError(
                "no client pepper in the home: create a client first ('chatseal client create')"
            )
        with contextlib.suppress(FileExistsError):  # another process created it first
            write_secret_file(path, secrets.token_bytes(32))
    if path.stat().st_mode & 0o077:
        raise ConfigError(f"{path} must be readable by its owner only (chmod 600)")
    data = path.read_bytes()
    if len(data) != 32:
        raise ConfigError(f"{path} is damaged")
    return data


class Clients:
    """Create, check and revoke OAuth2 clients of one ChatSeal."""

    def __init__(self, seal: ChatSeal, home: Path) -> None:
        self.seal = seal
        self.home = Path(home)
        self._pepper: bytes | None = None

    def _hash(self, secret: str) -> bytes:
        if self._pepper is None:
            self._pepper = load_pepper(self.home, create=True)
        return hmac.new(self._pepper, secret.encode("utf-8"), hashlib.sha256).digest()

    def _tenant_name(self, tenant_id: str) -> str | None:
        with self.seal.read() as tx:
            for row in tx.list_tenants():
                if row.tenant_id == tenant_id:
                    return row.name
        return None

    def create(
        self, tenant: str, roles: list[str], purpose: str | None = None
    ) -> tuple[ClientInfo, str]:
        """Register a client; returns its info and the secret (shown once, never stored)."""
        clean_roles = check_names(tuple(roles), "roles")
        with self.seal.read() as tx:
            row = tx.get_tenant(tenant)
        if row is None:
            raise NotFound(f"no tenant named '{tenant}'", param="tenant")
        client_id = CLIENT_PREFIX + secrets.token_hex(16)
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        client = ClientRow(
            tenant_id=row.tenant_id,
            client_id=client_id,
            secret_hash=self._hash(secret),
            roles=json.dumps(clean_roles),
            purpose=purpose,
            created_at=self.seal.now(),
        )
        with self.seal.write() as tx:
            tx.insert_client(client)
        return ClientInfo(client_id, tenant, clean_roles, purpose, client.created_at), secret

    def list(self, tenant: str) -> list[ClientInfo]:
        """A tenant's clients."""
        with self.seal.read() as tx:
            row = tx.get_tenant(tenant)
            if row is None:
                raise NotFound(f"no tenant named '{tenant}'", param="tenant")
            clients = tx.list_clients(row.tenant_id)
        return [
            ClientInfo(
                c.client_id, tenant, json.loads(c.roles), c.purpose, c.created_at, c.revoked_at
            )
            for c in clients
        ]

    def revoke(self, client_id: str) -> None:
        """Revoke a client: its secret stops working and its live tokens are refused at once."""
        with self.seal.write() as tx:
            if not tx.revoke_client(client_id, self.seal.now()):
                raise NotFound(f"no active client '{client_id}'", param="client_id")

    def authenticate(self, client_id: str, secret: str) -> ClientInfo:
        """Check a client's credentials; one opaque failure for unknown, wrong or revoked."""
        failure = AuthenticationError("invalid client credentials", code="invalid_client")
        if len(client_id) > MAX_CREDENTIAL_CHARS or len(secret) > MAX_CREDENTIAL_CHARS:
            raise failure
        with self.seal.read() as tx:
            row = tx.get_client(client_id)
        # Hash even when the client is unknown, so both paths cost the same.
        offered = self._hash(secret)
        expected = row.secret_hash if row is not None else hashlib.sha256(offered).digest()
        if not hmac.compare_digest(offered, expected) or row is None or row.revoked_at is not None:
            raise failure
        tenant = self._tenant_name(row.tenant_id)
        if tenant is None:
            raise failure
        return ClientInfo(row.client_id, tenant, json.loads(row.roles), row.purpose, row.created_at)

    def is_active(self, client_id: str, tenant: str) -> bool:
        """Whether a client still exists, is not revoked and belongs to the tenant."""
        with self.seal.read() as tx:
            row = tx.get_client(client_id)
            if row is None or row.revoked_at is not None:
                return False
            tenant_row = tx.get_tenant(tenant)
        return tenant_row is not None and tenant_row.tenant_id == row.tenant_id
