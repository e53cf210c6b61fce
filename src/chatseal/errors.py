"""One error tree for all of ChatSeal.

    ChatSealError
     ├── InvalidRequest          bad input; carries the offending parameter (HTTP 400)
     ├── AuthenticationError     no or bad credential (HTTP 401)
     ├── PermissionDenied        a visible resource, a forbidden action (HTTP 403)
     ├── NotFound                missing, or belongs to someone the caller may not see (HTTP 404)
     ├── Conflict                already exists / state forbids it (HTTP 409)
     ├── RateLimited             too many requests (HTTP 429)
     ├── IntegrityError          any failure to open a sealed record: one opaque message
     ├── KeyUnavailable          the key backend cannot serve this key (HTTP 503)
     │    ├── KeyVersionRetired  below min_decryption_version: names the version, nothing else
     │    └── KeyDestroyed       the key (version) no longer exists
     ├── StoreUnavailable        the store cannot be reached (HTTP 503)
     ├── AuditUnavailable        the audit log cannot record or disagrees with its checkpoints
     ├── ConfigError             the configuration is invalid or incomplete
     ├── MissingExtra            an optional dependency is not installed
     └── NotInitialised          no ChatSeal home where one was expected

Messages never contain message content, keys, tokens or secrets: they are shown to callers and
written to logs.
"""

from __future__ import annotations


class ChatSealError(Exception):
    """Base of every error ChatSeal raises on purpose."""

    http_status = 500
    error_type = "server_error"
    code: str | None = None

    def __init__(self, message: str, *, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param
        if code is not None:
            self.code = code


class InvalidRequest(ChatSealError):
    """The request is malformed or violates a documented limit."""

    http_status = 400
    error_type = "invalid_request_error"


class AuthenticationError(ChatSealError):
    """The credential is missing, malformed, expired or not trusted."""

    http_status = 401
    error_type = "authentication_error"
    code = "invalid_api_key"


class PermissionDenied(ChatSealError):
    """The principal may see the resource but not perform this action on it."""

    http_status = 403
    error_type = "permission_error"
    code = "permission_denied"


class NotFound(ChatSealError):
    """The resource does not exist, or the principal may not know that it exists."""

    http_status = 404
    error_type = "invalid_request_error"
    code = "not_found"


class Conflict(ChatSealError):
    """The resource already exists, or its state forbids the operation."""

    http_status = 409
    error_type = "invalid_request_error"
    code = "conflict"


class RateLimited(ChatSealError):
    """The principal has sent too many requests."""

    http_status = 429
    error_type = "rate_limit_error"
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class IntegrityError(ChatSealError):
    """A sealed record failed to open. Deliberately says nothing about why."""

    http_status = 500
    error_type = "server_error"
    code = "integrity_error"

    def __init__(self, message: str = "integrity check failed") -> None:
        super().__init__(message)


class KeyUnavailable(ChatSealError):
    """The key backend cannot serve the key needed; fail closed."""

    http_status = 503
    error_type = "server_error"
    code = "key_unavailable"


class KeyVersionRetired(KeyUnavailable):
    """The data needs a key version below the tenant's minimum decryption version."""

    code = "key_version_retired"


class KeyDestroyed(KeyUnavailable):
    """The key or key version was destroyed (crypto-shredded)."""

    http_status = 410
    code = "key_destroyed"


class StoreUnavailable(ChatSealError):
    """The store cannot be reached or is locked beyond the timeout."""

    http_status = 503
    error_type = "server_error"
    code = "store_unavailable"


class AuditUnavailable(ChatSealError):
    """The audit log cannot record, or disagrees with its external checkpoints: fail closed."""

    http_status = 503
    error_type = "server_error"
    code = "audit_unavailable"


class ConfigError(ChatSealError):
    """The configuration is invalid or incomplete."""

    code = "config_error"


class MissingExtra(ChatSealError):
    """An optional dependency is needed: says which extra to install."""

    code = "missing_extra"

    def __init__(self, extra: str, feature: str) -> None:
        super().__init__(f"{feature} needs an optional dependency: pip install 'chatseal[{extra}]'")
        self.extra = extra


class NotInitialised(ChatSealError):
    """There is no ChatSeal home where one was expected."""

    code = "not_initialised"
