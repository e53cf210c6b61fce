"""The token signing keys: Ed25519, kept in the home (0600), current + previous for rollover.

The file holds at most two keys, newest first. Tokens are signed with the newest; both verify, so a
rotation never invalidates a token that is still within its lifetime (no downtime). Every worker
re-reads the file when it changes, so a rotation reaches all of them without a restart.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from chatseal.errors import ConfigError
from chatseal.files import exclusive_lock, replace_file

SIGNING_FILE = "token-signing.json"
FILE_FORMAT = 1
KEPT_KEYS = 2  # current + previous
# How often a verifier may re-read the key file when it meets a kid it does not know.
RELOAD_INTERVAL_SECONDS = 1.0


def b64url(data: bytes) -> str:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def okp_jwk(key: Ed25519PublicKey) -> dict[str, str]:
    """The public JWK of an Ed25519 key (RFC 8037 §2)."""
    return {"kty": "OKP", "crv": "Ed25519", "x": b64url(_raw_public(key))}


def thumbprint(key: Ed25519PublicKey) -> str:
    """The RFC 7638 JWK thumbprint: SHA-256 over the required members in lexicographic order."""
    jwk = okp_jwk(key)
    canonical = json.dumps({k: jwk[k] for k in ("crv", "kty", "x")}, separators=(",", ":"))
    return b64url(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class SigningKey:
    """One Ed25519 key pair and its key id."""

    kid: str
    created_at: int
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        """The public half."""
        return self.private.public_key()

    def jwk(self) -> dict[str, str]:
        """The public JWK with kid, use and alg (RFC 7517 §4)."""
        return {**okp_jwk(self.public), "kid": self.kid, "use": "sig", "alg": "EdDSA"}

    def __repr__(self) -> str:
        return f"SigningKey(kid={self.kid!r})"


def _new_key(now: int) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    return SigningKey(thumbprint(private.public_key()), now, private)


def _encode(keys: list[SigningKey]) -> bytes:
    from cryptography.hazmat.primitives.serialization import NoEncryption, PrivateFormat

    entries = [
        {
            "kid": k.kid,
            "created_at": k.created_at,
            "private": b64url(
                k.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            ),
        }
        for k in keys
    ]
    return json.dumps({"format": FILE_FORMAT, "keys": entries}, indent=1).encode("ascii") + b"\n"


def _decode(data: bytes) -> list[SigningKey]:
    try:
        doc: Any = json.loads(data)
        if doc.get("format") != FILE_FORMAT:
            raise ConfigError("the token signing key file has an unknown format")
        keys = []
        for entry in doc["keys"]:
            raw = base64.urlsafe_b64decode(entry["private"] + "=" * (-len(entry["private"]) % 4))
            private = Ed25519PrivateKey.from_private_bytes(raw)
            keys.append(
                SigningKey(thumbprint(private.public_key()), int(entry["created_at"]), private)
            )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError("the token signing key file is damaged") from None
    if not keys:
        raise ConfigError("the token signing key file holds no key")
    return keys


class SigningKeys:
    """The signing key file of one home: load, create, rotate, and a JWKS of the public keys."""

    def __init__(self, home: Path) -> None:
        self.path = Path(home) / SIGNING_FILE
        self._lock = threading.Lock()
        self._keys: list[SigningKey] = []
        self._stamp: tuple[int, int] | None = None
        self._checked = 0.0

    def _file_lock(self) -> AbstractContextManager[None]:
        return exclusive_lock(self.path.with_suffix(".lock"))

    def _write(self, keys: list[SigningKey]) -> None:
        """Replace the file atomically; the temporary file is 0600 from its creation."""
        replace_file(self.path, _encode(keys))

    def ensure(self) -> None:
        """Create the key file with one key if there is none."""
        if self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._file_lock():
            if not self.path.exists():
                self._write([_new_key(int(time.time()))])

    def rotate(self) -> SigningKey:
        """Make a new current key; the old current stays as previous, older keys are dropped."""
        self.ensure()
        with self._file_lock():
            keys = _decode(self.path.read_bytes())
            fresh = _new_key(int(time.time()))
            self._write([fresh, *keys][:KEPT_KEYS])
        self.reload(force=True)
        return fresh

    def reload(self, *, force: bool = False) -> None:
        """Re-read the file if it changed since the last read."""
        try:
            info = self.path.stat()
        except FileNotFoundError:
            raise ConfigError(
                "no token signing key in the home: run 'chatseal token rotate-key'"
            ) from None
        if info.st_mode & 0o077:
            raise ConfigError(f"{self.path} must be readable by its owner only (chmod 600)")
        stamp = (info.st_mtime_ns, info.st_ino)
        with self._lock:
            if force or stamp != self._stamp:
                self._keys = _decode(self.path.read_bytes())
                self._stamp = stamp
            self._checked = time.monotonic()

    def current(self) -> SigningKey:
        """The key new tokens are signed with."""
        if not self._keys:
            self.reload()
        return self._keys[0]

    def find(self, kid: str) -> SigningKey | None:
        """The key with this kid, or None.

        The file is checked (a stat) at most once a second, and at once on a kid we do not hold,
        so a rotation made by another process is seen immediately and a dropped key within a
        second. `kid` is untrusted: it is only compared with the kids we hold (RFC 8725 §3.10).
        """
        if not self._keys or time.monotonic() - self._checked >= RELOAD_INTERVAL_SECONDS:
            self.reload()
        for key in self._keys:
            if key.kid == kid:
                return key
        self.reload()
        for key in self._keys:
            if key.kid == kid:
                return key
        return None

    def jwks(self) -> dict[str, Any]:
        """The JWK Set of the public keys (RFC 7517 §5), current first."""
        if time.monotonic() - self._checked >= RELOAD_INTERVAL_SECONDS or not self._keys:
            self.reload()
        return {"keys": [key.jwk() for key in self._keys]}
