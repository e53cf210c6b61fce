"""`POST /oauth/token`: the OAuth 2.0 client credentials grant (RFC 6749 §4.4).

The request is form-encoded (§4.4.2); the client authenticates with HTTP Basic (§2.3.1, which
servers MUST support) or with `client_id`/`client_secret` in the body, never both (§2.3). Answers
are §5.1 / §5.2 JSON with `Cache-Control: no-store`; this endpoint speaks RFC 6749's error shape,
not OpenAI's, because OAuth clients expect it.
"""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote_plus

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatseal.api.limits import ApiLimits, PayloadTooLarge, read_body
from chatseal.errors import AuthenticationError, ChatSealError, RateLimited

if TYPE_CHECKING:
    from chatseal.api.app import ApiState

MAX_FORM_BYTES = 4096
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class OAuthError(Exception):
    """An RFC 6749 §5.2 error."""

    def __init__(
        self, error: str, description: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}


def _form(body: bytes) -> dict[str, str]:
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=16)
    except (UnicodeDecodeError, ValueError):
        raise OAuthError(
            "invalid_request", "the body must be application/x-www-form-urlencoded"
        ) from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:  # §3.2: request parameters MUST NOT be included more than once
            raise OAuthError("invalid_request", f"the parameter '{name[:32]}' is repeated")
        form[name] = value
    return form


def _basic(header: str) -> tuple[str, str]:
    """Decode client_secret_basic: base64 of form-urlencoded id ':' secret (§2.3.1)."""
    try:
        decoded = base64.b64decode(header, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise OAuthError(
            "invalid_client", "malformed Basic credentials", 401, {"WWW-Authenticate": "Basic"}
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError(
            "invalid_client", "malformed Basic credentials", 401, {"WWW-Authenticate": "Basic"}
        )
    return unquote_plus(client_id), unquote_plus(secret)


def _credentials(request: Request, form: dict[str, str]) -> tuple[str, str, bool]:
    authorization = request.headers.get("authorization", "")
    scheme, _, value = authorization.partition(" ")
    in_body = "client_id" in form or "client_secret" in form
    if authorization and scheme.lower() == "basic":
        if in_body:
            raise OAuthError("invalid_request", "use one client authentication method, not two")
        client_id, secret = _basic(value.strip())
        return client_id, secret, True
    if authorization:
        raise OAuthError(
            "invalid_client",
            "unsupported client authentication",
            401,
            {"WWW-Authenticate": "Basic"},
        )
    if not form.get("client_id") or not form.get("client_secret"):
        raise OAuthError(
            "invalid_client",
            "client authentication is required",
            401,
            {"WWW-Authenticate": "Basic"},
        )
    return form["client_id"], form["client_secret"], False


def _issue(st: ApiState, request: Request, body: bytes) -> dict[str, object]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    form = _form(body)
    if form.get("grant_type") != "client_credentials":
        if "grant_type" not in form:
            raise OAuthError("invalid_request", "grant_type is required")
        raise OAuthError("unsupported_grant_type", "only client_credentials is supported")
    client_id, secret, basic = _credentials(request, form)
    st.failures.take("client:" + client_id[:64])
    try:
        client = st.auth.clients.authenticate(client_id, secret)
    except AuthenticationError:
        st.failures.take("addr:" + (request.client.host if request.client else "-"))
        headers = {"WWW-Authenticate": "Basic"} if basic else {}
        raise OAuthError("invalid_client", "client authentication failed", 401, headers) from None
    tokens = st.auth.tokens
    ttl = tokens.settings.default_ttl_seconds
    token = tokens.mint(
        tenant=client.tenant,
        subject=client.client_id,
        roles=client.roles,
        purpose=client.purpose,
        ttl_seconds=ttl,
        client_id=client.client_id,
    )
    # §5.1; the scope is omitted because it is identical to what the client was granted.
    return {"access_token": token, "token_type": "Bearer", "expires_in": ttl}


async def oauth_token(request: Request) -> Response:
    """Exchange client credentials for a short-lived access token."""
    st: ApiState = request.app.state.chatseal
    try:
        body = await read_body(request, ApiLimits(max_body_bytes=MAX_FORM_BYTES))
        answer = await st.run(lambda: _issue(st, request, body))
    except OAuthError as exc:
        doc = {"error": exc.error, "error_description": exc.description}
        return JSONResponse(doc, status_code=exc.status, headers={**NO_STORE, **exc.headers})
    except PayloadTooLarge:
        return JSONResponse(
            {"error": "invalid_request", "error_description": "the body is too large"},
            413,
            NO_STORE,
        )
    except RateLimited as exc:
        headers = {**NO_STORE, "Retry-After": str(max(1, int(exc.retry_after + 0.999)))}
        return JSONResponse(
            {"error": "slow_down", "error_description": "too many attempts"}, 429, headers
        )
    except ChatSealError:
        doc = {"error": "temporarily_unavailable", "error_description": "try again later"}
        return JSONResponse(doc, status_code=503, headers=NO_STORE)
    return JSONResponse(answer, headers=NO_STORE)
