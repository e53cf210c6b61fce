"""The `local:` backend: per-tenant KEKs in a keyring file sealed under a root key.

For development and single-machine use. The root key comes from `CHATSEAL_ROOT_KEY` (base64 of 32
bytes), from a passphrase through scrypt (RFC 7914; salt kept in the keyring), or from the root key
file that `chatseal init` writes (0600). Production should keep KEKs in a KMS or HSM instead: a
thief who gets both the keyring and the root key gets every KEK.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from chatseal.clock import Clock, SystemClock
from chatseal.crypto.aead import KEY_BYTES, DataKey, new_key_bytes
from chatseal.errors import (
    ConfigError,
    Conflict,
    IntegrityError,
    KeyDestroyed,
    KeyUnavailable,
    KeyVersionRetired,
    NotFound,
)
from chatseal.files import exclusive_lock, replace_file
from chatseal.keys.base import KeyInfo, KeyVersion, WrappedKey

KEYRING_FORMAT = 1
# RFC 7914 §2 parameters: N = 2^15, r = 8, p = 1 costs ~32 MiB and ~0.1 s, once per process.
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_CHECK = b"chatseal keyring check"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def parse_root_key(encoded: str) -> bytes:
    """Decode a base64 root key and insist on 32 bytes."""
    try:
        raw = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigError("the root key must be base64 of 32 bytes") from None
    if len(raw) != KEY_BYTES:
        raise ConfigError("the root key must be base64 of 32 bytes")
    return raw


@dataclass(frozen=True)
class RootKeySource:
    """Where the root key comes from, in order of preference."""

    key_b64: str | None = None
    passphrase: str | None = None
    key_file: Path | None = None

    @classmethod
    def from_env(cls, key_file: Path | None) -> RootKeySource:
        """Read `CHATSEAL_ROOT_KEY` / `CHATSEAL_ROOT_PASSPHRASE`, falling back to the file."""
        return cls(
            key_b64=os.environ.get("CHATSEAL_ROOT_KEY") or None,
            passphrase=os.environ.get("CHATSEAL_ROOT_PASSPHRASE") or None,
            key_file=key_file,
        )


class LocalKeyManager:
    """KEKs in a keyring file (JSON), each KEK sealed by the root key with AES-256-GCM."""

    scheme = "local"

    def __init__(self, keyring: Path, root: RootKeySource, clock: Clock | None = None) -> None:
        self.path = keyring
        self._lock_path = keyring.with_name(keyring.name + ".lock")
        self._clock = clock or SystemClock()
        self._thread_lock = threading.RLock()
        self._stamp: tuple[int, int] | None = None
        self._doc: dict[str, Any] = {}
        self._keks: dict[tuple[str, int], DataKey] = {}
        self._root = self._root_key(root)
        self._load(force=True)

    # -- the keyring file ------------------------------------------------------------------

    def _root_key(self, source: RootKeySource) -> DataKey:
        if source.key_b64:
            return DataKey(parse_root_key(source.key_b64))
        if source.passphrase:
            salt = self._kdf_salt()
            kdf = Scrypt(salt=salt, length=KEY_BYTES, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
            return DataKey(kdf.derive(source.passphrase.encode("utf-8")))
        if source.key_file is not None and source.key_file.exists():
            return DataKey(parse_root_key(source.key_file.read_text("ascii")))
        raise ConfigError(
            "no root key: set CHATSEAL_ROOT_KEY or CHATSEAL_ROOT_PASSPHRASE, or run 'chatseal init'"
        )

    def _kdf_salt(self) -> bytes:
        with self._locked():
            doc = self._read()
            if "scrypt_salt" not in doc:
                doc["scrypt_salt"] = _b64(os.urandom(16))
                self._write(doc)
            return _unb64(doc["scrypt_salt"])

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise writers across threads and processes (flock on a side file)."""
        with self._thread_lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with exclusive_lock(self._lock_path):
                yield

    def _read(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"format": KEYRING_FORMAT, "tenants": {}}
        try:
            doc: dict[str, Any] = json.loads(self.path.read_bytes())
        except (OSError, ValueError):
            raise KeyUnavailable("the local keyring cannot be read") from None
        if doc.get("format") != KEYRING_FORMAT:
            raise KeyUnavailable("the local keyring has an unknown format")
        return doc

    def _write(self, doc: dict[str, Any]) -> None:
        """Replace the keyring atomically: write a 0600 temp file, fsync, rename."""
        replace_file(self.path, json.dumps(doc, sort_keys=True, indent=1).encode("utf-8"))
        self._doc = doc
        self._stamp = self._file_stamp()
        self._keks.clear()

    def _file_stamp(self) -> tuple[int, int] | None:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size)

    def _load(self, *, force: bool = False) -> None:
        """Re-read the keyring if another process changed it."""
        stamp = self._file_stamp()
        if force or stamp != self._stamp:
            with self._thread_lock:
                self._doc = self._read()
                self._stamp = stamp
                self._keks.clear()
            self._check_root()

    def _check_root(self) -> None:
        check = self._doc.get("check")
        if check is None:
            return
        try:
            self._root.open(_unb64(check), _CHECK)
        except IntegrityError:
            raise ConfigError("the root key does not open this keyring") from None

    def _tenant(self, doc: dict[str, Any], tenant: str) -> dict[str, Any]:
        entry = doc["tenants"].get(tenant)
        if entry is None:
            raise NotFound("no key for this tenant")
        if entry.get("destroyed"):
            raise KeyDestroyed("the tenant's key was destroyed")
        return dict(entry)

    @staticmethod
    def _kek_ad(tenant: str, version: int) -> bytes:
        return b"chatseal.kek\x00" + tenant.encode("utf-8") + b"\x00" + str(version).encode()

    def _kek(self, tenant: str, version: int, *, for_decrypt: bool) -> DataKey:
        self._load()
        cached = self._keks.get((tenant, version))
        entry = self._tenant(self._doc, tenant)
        if for_decrypt and version < entry["min_decryption_version"]:
            raise KeyVersionRetired(f"key version v{version} is retired")
        if cached is not None:
            return cached
        sealed = entry["versions"].get(str(version))
        if sealed is None or sealed.get("destroyed"):
            raise KeyDestroyed(f"key version v{version} was destroyed")
        raw = self._root.open(_unb64(sealed["sealed"]), self._kek_ad(tenant, version))
        kek = DataKey(raw)
        self._keks[(tenant, version)] = kek
        return kek

    def _new_version(self, tenant: str, entry: dict[str, Any], version: int) -> None:
        sealed = self._root.seal(new_key_bytes(), self._kek_ad(tenant, version))
        entry["versions"] = dict(entry["versions"])
        entry["versions"][str(version)] = {"created_at": self._clock.now(), "sealed": _b64(sealed)}
        entry["primary"] = version

    # -- the KeyManager protocol -----------------------------------------------------------

    def create_tenant_key(self, tenant: str) -> KeyInfo:
        """Create version 1 of the tenant's KEK."""
        with self._locked():
            doc = self._read()
            if tenant in doc["tenants"]:
                raise Conflict("this tenant already has a key")
            if "check" not in doc:
                doc["check"] = _b64(self._root.seal(os.urandom(16), _CHECK))
            entry: dict[str, Any] = {"min_decryption_version": 1, "versions": {}}
            self._new_version(tenant, entry, 1)
            doc["tenants"] = {**doc["tenants"], tenant: entry}
            self._write(doc)
        return self.describe(tenant)

    def generate_data_key(self, tenant: str, context: bytes) -> tuple[bytes, WrappedKey]:
        """Return a fresh data key and its wrapping under the primary version."""
        data_key = new_key_bytes()
        return data_key, self.wrap(tenant, data_key, context)

    def wrap(self, tenant: str, data_key: bytes, context: bytes) -> WrappedKey:
        """Seal the data key under the primary KEK with `context` as associated data."""
        self._load()
        version = int(self._tenant(self._doc, tenant)["primary"])
        kek = self._kek(tenant, version, for_decrypt=False)
        return WrappedKey(version, kek.seal(data_key, context))

    def unwrap(self, tenant: str, wrapped: WrappedKey, context: bytes) -> bytes:
        """Open a wrapped data key, failing closed on retired or destroyed versions."""
        kek = self._kek(tenant, wrapped.kek_version, for_decrypt=True)
        return kek.open(wrapped.blob, context)

    def rewrap(self, tenant: str, batch: Sequence[tuple[WrappedKey, bytes]]) -> list[WrappedKey]:
        """Unwrap and wrap again under the primary version (inside this process).

        The keyring is read once per batch and each KEK version unsealed once, not per key.
        """
        self._load()
        primary = int(self._tenant(self._doc, tenant)["primary"])
        target = self._kek(tenant, primary, for_decrypt=False)
        keks: dict[int, DataKey] = {}
        out = []
        for wrapped, context in batch:
            old = keks.get(wrapped.kek_version)
            if old is None:
                old = keks[wrapped.kek_version] = self._kek(
                    tenant, wrapped.kek_version, for_decrypt=True
                )
            out.append(WrappedKey(primary, target.seal(old.open(wrapped.blob, context), context)))
        return out

    def rotate(self, tenant: str) -> KeyInfo:
        """Add a KEK version and make it primary."""
        with self._locked():
            doc = self._read()
            entry = self._tenant(doc, tenant)
            version = max(int(v) for v in entry["versions"]) + 1
            self._new_version(tenant, entry, version)
            doc["tenants"] = {**doc["tenants"], tenant: entry}
            self._write(doc)
        return self.describe(tenant)

    def retire(self, tenant: str, min_decryption_version: int) -> KeyInfo:
        """Raise the minimum decryption version (never above the primary, never down)."""
        with self._locked():
            doc = self._read()
            entry = self._tenant(doc, tenant)
            if not entry["min_decryption_version"] <= min_decryption_version <= entry["primary"]:
                raise Conflict(
                    "the minimum decryption version must lie between the current and the primary"
                )
            entry["min_decryption_version"] = min_decryption_version
            doc["tenants"] = {**doc["tenants"], tenant: entry}
            self._write(doc)
        return self.describe(tenant)

    def destroy(self, tenant: str, version: int | None = None) -> None:
        """Erase one sealed KEK version, or every version of the tenant."""
        with self._locked():
            doc = self._read()
            entry = self._tenant(doc, tenant)
            versions = dict(entry["versions"])
            if version is None:
                entry = {"destroyed": True, "destroyed_at": self._clock.now()}
            else:
                if version == entry["primary"]:
                    raise Conflict("the primary key version cannot be destroyed; rotate first")
                if str(version) not in versions:
                    raise NotFound(f"no key version v{version}")
                versions[str(version)] = {
                    "destroyed": True,
                    "created_at": versions[str(version)].get("created_at", 0),
                }
                entry["versions"] = versions
            doc["tenants"] = {**doc["tenants"], tenant: entry}
            self._write(doc)

    def describe(self, tenant: str) -> KeyInfo:
        """Return the versions and their states."""
        self._load()
        entry = self._tenant(self._doc, tenant)
        minimum = int(entry["min_decryption_version"])
        versions = []
        for name, value in sorted(entry["versions"].items(), key=lambda kv: int(kv[0])):
            number = int(name)
            state = (
                "destroyed"
                if value.get("destroyed")
                else "retired"
                if number < minimum
                else "active"
            )
            versions.append(KeyVersion(number, float(value.get("created_at", 0)), state))
        return KeyInfo(tenant, self.scheme, int(entry["primary"]), minimum, tuple(versions))

    def ping(self) -> None:
        """The keyring is a local file: readable means ready."""
        self._load()

    def close(self) -> None:
        """Forget the unsealed KEKs."""
        self._keks.clear()
