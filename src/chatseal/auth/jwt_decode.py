"""Verifying a JWT's signature and registered claims, for our own tokens and an OIDC issuer's.

Every failure is one `AuthenticationError` whose reason names the class of failure only (expired,
not yet valid, wrong audience or issuer, anything else), never the token or the key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jwt

from chatseal.errors import AuthenticationError


def invalid_token(reason: str) -> AuthenticationError:
    """The error of a token that does not verify, for one class of reason."""
    return AuthenticationError(f"invalid access token: {reason}")


def decode_claims(
    token: str,
    key: Any,
    *,
    algorithm: str,
    audience: str | Sequence[str] | None,
    issuer: str | None,
    leeway: float,
    require: Sequence[str],
) -> dict[str, Any]:
    """Return the claims of a token signed by `key` with `algorithm` (the only one accepted,
    RFC 8725 §3.1), its time window, audience and issuer checked and `require`d claims present."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[algorithm],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": list(require)},
        )
    except jwt.ExpiredSignatureError:
        raise invalid_token("expired") from None
    except jwt.ImmatureSignatureError:
        raise invalid_token("not yet valid") from None
    except (jwt.InvalidAudienceError, jwt.InvalidIssuerError):
        raise invalid_token("wrong audience or issuer") from None
    except jwt.PyJWTError:
        raise invalid_token("bad signature or claims") from None
    return claims
