"""The `pkcs11:` backend: per-tenant KEKs as non-extractable AES-256 keys in a PKCS#11 token.

URL: `pkcs11:///usr/lib/softhsm/libsofthsm2.so?token=chatseal&pin-env=CHATSEAL_PKCS11_PIN`
(or `pin-file=/path`; the default is `pin-env=CHATSEAL_PKCS11_PIN`). The PIN never appears in
the URL: RFC 7512 §2.3 `pin-value` is refused.

- A KEK version is a token object (CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, not CKA_EXTRACTABLE;
  PKCS#11 v3.0 §4.4 and §4.10) labelled `chatseal:<tenant>:v<n>`.
- A data key is wrapped inside the token with CKM_AES_GCM (PKCS#11 v3.0 §2.11.3, NIST SP 800-38D):
  blob = format byte ‖ 96-bit nonce ‖ ciphertext ‖ 128-bit tag, associated data = `context`.
- Versions, primary and minimum decryption version live in the token too (see `_p11meta`).
  Retiring a version also clears its CKA_DECRYPT, so the token itself refuses to use it.
- One session per thread (all share the application's login, §5.6), so calls run in parallel.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from chatseal.clock import Clock, SystemClock
from chatseal.crypto.aead import KEY_BYTES, NONCE_BYTES, TAG_BYTES, new_key_bytes
from chatseal.errors import (
    ConfigError,
    Conflict,
    IntegrityError,
    KeyDestroyed,
    KeyUnavailable,
    KeyVersionRetired,
    MissingExtra,
    NotFound,
)
from chatseal.keys import registry
from chatseal.keys._p11meta import APPLICATION, TenantMeta, kek_label, meta_label
from chatseal.keys._secrets import query_params, read_secret
from chatseal.keys.base import KeyInfo, WrappedKey

try:
    import pkcs11
    from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
    from pkcs11 import exceptions as p11e
    from pkcs11.mechanisms import GCMParams
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise MissingExtra("hsm", "the pkcs11: key backend") from exc

BLOB_FORMAT = b"\x01"
DEFAULT_PIN_ENV = "CHATSEAL_PKCS11_PIN"
META_TTL_SECONDS = 1.0  # retire/destroy by another process are enforced by the token meanwhile

# PKCS#11 return values meaning "this ciphertext does not open" (SoftHSM2 answers a GCM tag
# mismatch with CKR_GENERAL_ERROR rather than CKR_ENCRYPTED_DATA_INVALID).
_OPEN_FAILED = (p11e.EncryptedDataInvalid, p11e.EncryptedDataLenRange, p11e.GeneralError)
_KEY_GONE = (p11e.ObjectHandleInvalid, p11e.NoSuchKey, p11e.KeyHandleInvalid)


class _Refused(Exception):
    """The token refused this key: gone, or CKR_KEY_FUNCTION_NOT_PERMITTED (retired)."""


class _OpenFailed(Exception):
    """The ciphertext did not open."""


# C_Initialize is per process (PKCS#11 v3.0 §5.4): one loaded module per path. Login state is per
# application and token (§5.6): one login session per token, shared by the managers using it and
# closed with the last of them. Its PIN digest makes a manager with another PIN fail as it should.
_LIBS: dict[str, Any] = {}
_LIBS_LOCK = threading.RLock()
# python-pkcs11 calls C_Initialize(NULL), which tells the module the application will not call
# it from several threads at once (PKCS#11 v3.0 §5.4: no locking flags): every call is serialised.
_CALL_LOCK = threading.RLock()


@dataclass
class _Login:
    session: Any
    pin_digest: bytes
    users: int = 0


_LOGINS: dict[tuple[str, str], _Login] = {}


def _load_module(path: str) -> Any:
    with _LIBS_LOCK:
        lib = _LIBS.get(path)
        if lib is None:
            try:
                lib = pkcs11.lib(path)
            except (p11e.PKCS11Error, OSError):
                raise KeyUnavailable("the PKCS#11 module cannot be loaded") from None
            _LIBS[path] = lib
        return lib


@dataclass(frozen=True)
class Pkcs11Config:
    """What a `pkcs11:` URL says."""

    module: str
    token: str
    pin: str = field(repr=False)

    @classmethod
    def from_url(cls, url: str) -> Pkcs11Config:
        """Parse the URL and read the PIN from the environment or a file."""
        parts = urlsplit(url)
        if parts.scheme != "pkcs11" or not parts.path.startswith("/"):
            raise ConfigError("a pkcs11: URL names the module by absolute path: pkcs11:///path.so")
        params = query_params(parts.query, {"token", "pin-env", "pin-file"}, {"pin", "pin-value"})
        token = params.get("token", "")
        if not token:
            raise ConfigError("the pkcs11: URL needs token=<label>")
        pin = read_secret(params, "pin", default_env=DEFAULT_PIN_ENV)
        if pin is None:
            raise ConfigError(f"no PKCS#11 PIN: set {DEFAULT_PIN_ENV} or give pin-file=")
        return cls(parts.path, token, pin)


class _Thread(threading.local):
    session: Any = None
    keys: dict[tuple[str, int], Any]

    def __init__(self) -> None:
        self.keys = {}


class Pkcs11KeyManager:
    """KEKs in a PKCS#11 token; data keys wrapped with AES-GCM inside it."""

    scheme = "pkcs11"

    def __init__(self, config: Pkcs11Config, clock: Clock | None = None) -> None:
        self._config = config
        self._clock = clock or SystemClock()
        # One lock order only: metadata writes and the session list share the call lock.
        self._lock = _CALL_LOCK
        self._logged_in = False
        self._sessions: list[Any] = []
        self._thread = _Thread()
        self._meta: dict[str, tuple[float, TenantMeta]] = {}

    # -- sessions --------------------------------------------------------------------------

    def _session(self) -> Any:
        session = self._thread.session
        if session is not None:
            return session
        digest = hashlib.sha256(self._config.pin.encode("utf-8")).digest()
        key = (self._config.module, self._config.token)
        with self._lock:
            try:
                token = _load_module(self._config.module).get_token(token_label=self._config.token)
                with _LIBS_LOCK:
                    login = _LOGINS.get(key)
                    if login is None:
                        login = _Login(token.open(rw=True, user_pin=self._config.pin), digest)
                        _LOGINS[key] = login
                    elif not hmac.compare_digest(login.pin_digest, digest):
                        raise KeyUnavailable("the PKCS#11 token refused the PIN")
                    if not self._logged_in:
                        login.users += 1
                        self._logged_in = True
                # Later sessions share the login state of the application (PKCS#11 §5.6).
                session = token.open(rw=True)
            except (p11e.PinIncorrect, p11e.PinInvalid, p11e.PinLenRange):
                raise KeyUnavailable("the PKCS#11 token refused the PIN") from None
            except p11e.PKCS11Error:
                raise KeyUnavailable("the PKCS#11 token cannot be reached") from None
            self._sessions.append(session)
        self._thread.session = session
        self._thread.keys = {}
        return session

    def _drop_sessions(self, *, broken: bool = True) -> None:
        """Close this manager's sessions; after a failure also the shared login, to start over."""
        key = (self._config.module, self._config.token)
        with self._lock:
            for session in self._sessions:
                with contextlib.suppress(p11e.PKCS11Error):
                    session.close()
            self._sessions.clear()
            self._meta.clear()
            with _LIBS_LOCK:
                login = _LOGINS.get(key)
                if login is not None and self._logged_in:
                    login.users -= 1
                if login is not None and (broken or login.users <= 0):
                    del _LOGINS[key]
                    with contextlib.suppress(p11e.PKCS11Error):
                        login.session.close()
            self._logged_in = False
        self._thread = _Thread()

    def _call(self, what: str, fn: Any, *args: Any, crypto: bool = False) -> Any:
        """Run a token call, turning session-level failures into KeyUnavailable.

        With `crypto`, a refused key or a ciphertext that does not open is reported to the caller
        (as `_Refused` / `_OpenFailed`) to be classified; anything else means the token is out.
        """
        try:
            with _CALL_LOCK:
                return fn(*args)
        except p11e.PKCS11Error as exc:
            if crypto and isinstance(exc, _OPEN_FAILED):
                raise _OpenFailed from None
            # python-pkcs11 has no class for CKR_KEY_FUNCTION_NOT_PERMITTED: it raises the base.
            if crypto and (isinstance(exc, _KEY_GONE) or type(exc) is p11e.PKCS11Error):
                raise _Refused from None
            self._drop_sessions()  # the next call opens fresh sessions
            raise KeyUnavailable(f"the PKCS#11 token failed to {what}") from None

    # -- metadata --------------------------------------------------------------------------

    def _meta_objects(self, session: Any, tenant: str) -> list[tuple[TenantMeta, Any]]:
        found = session.get_objects(
            {Attribute.CLASS: ObjectClass.DATA, Attribute.LABEL: meta_label(tenant)}
        )
        metas = [(TenantMeta.from_bytes(bytes(obj[Attribute.VALUE])), obj) for obj in found]
        return sorted(metas, key=lambda pair: pair[0].generation)

    def _read_meta(self, tenant: str, *, fresh: bool = False) -> TenantMeta:
        cached = self._meta.get(tenant)
        now = time.monotonic()
        if cached is not None and not fresh and now - cached[0] < META_TTL_SECONDS:
            return cached[1]
        metas = self._call("read key metadata", self._meta_objects, self._session(), tenant)
        if not metas:
            raise NotFound("no key for this tenant")
        meta: TenantMeta = metas[-1][0]
        self._meta[tenant] = (now, meta)
        return meta

    def _write_meta(self, meta: TenantMeta) -> None:
        session = self._session()

        def write() -> None:
            old = self._meta_objects(session, meta.tenant)
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.DATA,
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.APPLICATION: APPLICATION,
                    Attribute.LABEL: meta_label(meta.tenant),
                    Attribute.VALUE: meta.to_bytes(),
                }
            )
            for _, obj in old:
                obj.destroy()

        self._call("write key metadata", write)
        self._meta[meta.tenant] = (time.monotonic(), meta)

    # -- KEK objects -----------------------------------------------------------------------

    def _new_kek(self, tenant: str, version: int) -> None:
        template = {
            Attribute.TOKEN: True,
            Attribute.PRIVATE: True,
            Attribute.SENSITIVE: True,
            Attribute.EXTRACTABLE: False,
            Attribute.ENCRYPT: True,
            Attribute.DECRYPT: True,
            Attribute.WRAP: False,
            Attribute.UNWRAP: False,
            Attribute.SIGN: False,
            Attribute.VERIFY: False,
            Attribute.DERIVE: False,
        }
        self._call(
            "generate a key",
            lambda: self._session().generate_key(
                KeyType.AES, KEY_BYTES * 8, label=kek_label(tenant, version), template=template
            ),
        )

    def _kek_objects(self, tenant: str, version: int) -> list[Any]:
        query = {
            Attribute.CLASS: ObjectClass.SECRET_KEY,
            Attribute.LABEL: kek_label(tenant, version),
        }
        return list(self._call("find a key", lambda: list(self._session().get_objects(query))))

    def _kek(self, tenant: str, version: int) -> Any:
        self._session()
        key = self._thread.keys.get((tenant, version))
        if key is None:
            objects = self._kek_objects(tenant, version)
            if not objects:
                raise KeyDestroyed(f"key version v{version} was destroyed")
            key = objects[0]
            self._thread.keys[(tenant, version)] = key
        return key

    def _classify_failure(self, tenant: str, version: int) -> None:
        """After the token refused a key, say why from fresh metadata (fail closed)."""
        self._thread.keys.pop((tenant, version), None)
        meta = self._read_meta(tenant, fresh=True)
        meta.check_usable()
        if version in meta.destroyed_versions or version not in meta.created:
            raise KeyDestroyed(f"key version v{version} was destroyed")
        if version < meta.min_decryption_version:
            raise KeyVersionRetired(f"key version v{version} is retired")

    # -- the KeyManager protocol -----------------------------------------------------------

    def create_tenant_key(self, tenant: str) -> KeyInfo:
        """Generate version 1 in the token; Conflict if the tenant has (or had) a key."""
        with self._lock:
            try:
                self._read_meta(tenant, fresh=True)
            except NotFound:
                pass
            else:
                raise Conflict("this tenant already has a key")
            self._new_kek(tenant, 1)
            self._write_meta(TenantMeta(tenant, 1, 1, 1, {1: self._clock.now()}))
        return self.describe(tenant)

    def generate_data_key(self, tenant: str, context: bytes) -> tuple[bytes, WrappedKey]:
        """Return a fresh data key and its wrapping under the primary version."""
        data_key = new_key_bytes()
        return data_key, self.wrap(tenant, data_key, context)

    def wrap(self, tenant: str, data_key: bytes, context: bytes) -> WrappedKey:
        """Encrypt the data key with AES-GCM inside the token, `context` as associated data."""
        if len(data_key) != KEY_BYTES:
            raise ValueError("a data key is 32 bytes")
        meta = self._read_meta(tenant)
        meta.check_usable()
        nonce = os.urandom(NONCE_BYTES)
        try:
            sealed = self._call(
                "wrap a data key",
                lambda: self._kek(tenant, meta.primary).encrypt(
                    data_key, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, context)
                ),
                crypto=True,
            )
        except (_Refused, _OpenFailed):
            self._classify_failure(tenant, meta.primary)
            raise KeyUnavailable("the PKCS#11 token refused to wrap") from None
        return WrappedKey(meta.primary, BLOB_FORMAT + nonce + bytes(sealed))

    def unwrap(self, tenant: str, wrapped: WrappedKey, context: bytes) -> bytes:
        """Decrypt inside the token; IntegrityError if it does not open under `context`."""
        version = wrapped.kek_version
        meta = self._read_meta(tenant)
        meta.check_usable()
        if version in meta.destroyed_versions:
            raise KeyDestroyed(f"key version v{version} was destroyed")
        if version < meta.min_decryption_version:
            raise KeyVersionRetired(f"key version v{version} is retired")
        blob = wrapped.blob
        if len(blob) != 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES or blob[:1] != BLOB_FORMAT:
            raise IntegrityError
        nonce, sealed = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            plain = self._call(
                "unwrap a data key",
                lambda: self._kek(tenant, version).decrypt(
                    sealed, mechanism=Mechanism.AES_GCM, mechanism_param=GCMParams(nonce, context)
                ),
                crypto=True,
            )
        except _OpenFailed:
            raise IntegrityError from None
        except _Refused:
            self._classify_failure(tenant, version)
            raise KeyUnavailable("the PKCS#11 token refused to unwrap") from None
        if len(plain) != KEY_BYTES:
            raise IntegrityError
        return bytes(plain)

    def rewrap(self, tenant: str, batch: Sequence[tuple[WrappedKey, bytes]]) -> list[WrappedKey]:
        """Unwrap and wrap again under the primary version (the data key passes through memory)."""
        return [self.wrap(tenant, self.unwrap(tenant, w, ctx), ctx) for w, ctx in batch]

    def rotate(self, tenant: str) -> KeyInfo:
        """Generate a new KEK version in the token and make it primary."""
        with self._lock:
            meta = self._read_meta(tenant, fresh=True)
            meta.check_usable()
            version = max(meta.created) + 1
            self._new_kek(tenant, version)
            created = {**meta.created, version: self._clock.now()}
            self._write_meta(meta.next(primary=version, created=created))
        return self.describe(tenant)

    def retire(self, tenant: str, min_decryption_version: int) -> KeyInfo:
        """Raise the minimum and clear CKA_DECRYPT on the retired KEK objects."""
        with self._lock:
            meta = self._read_meta(tenant, fresh=True)
            meta.check_usable()
            if not meta.min_decryption_version <= min_decryption_version <= meta.primary:
                raise Conflict(
                    "the minimum decryption version must be between the current one and the primary"
                )
            self._write_meta(meta.next(min_decryption_version=min_decryption_version))
            for version in range(meta.min_decryption_version, min_decryption_version):
                for obj in self._kek_objects(tenant, version):
                    self._call("retire a key", obj.__setitem__, Attribute.DECRYPT, False)
            self._thread.keys.clear()
        return self.describe(tenant)

    def destroy(self, tenant: str, version: int | None = None) -> None:
        """Destroy KEK objects first, then record it, so a crash never leaves a key behind."""
        with self._lock:
            meta = self._read_meta(tenant, fresh=True)
            meta.check_usable()
            if version is not None:
                if version == meta.primary:
                    raise Conflict("the primary key version cannot be destroyed; rotate first")
                if version not in meta.created:
                    raise NotFound(f"no key version v{version}")
            doomed = sorted(meta.created) if version is None else [version]
            for number in doomed:
                for obj in self._kek_objects(tenant, number):
                    self._call("destroy a key", obj.destroy)
            self._thread.keys.clear()
            gone = meta.destroyed_versions | frozenset(doomed)
            self._write_meta(meta.next(destroyed_versions=gone, destroyed=version is None))

    def describe(self, tenant: str) -> KeyInfo:
        """Return the versions and their states from the token's metadata."""
        meta = self._read_meta(tenant, fresh=True)
        meta.check_usable()
        return meta.info(self.scheme)

    def ping(self) -> None:
        """Raise KeyUnavailable unless the token answers."""
        session = self._session()
        self._call("answer", session.generate_random, 64)

    def close(self) -> None:
        """Close this manager's sessions (the last manager of a token logs out)."""
        self._drop_sessions(broken=False)


def _factory(url: str, ctx: registry.KeyContext) -> Pkcs11KeyManager:
    return Pkcs11KeyManager(Pkcs11Config.from_url(url), ctx.clock)


registry.register("pkcs11", _factory)
