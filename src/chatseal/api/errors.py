"""Errors in OpenAI's shape `{"error": {"message", "type", "param", "code"}}`, with its statuses.

Messages come from `chatseal.errors`, which never carry content, keys, tokens or secrets. Anything
unexpected becomes a 500 whose log line names only the exception class.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatseal.errors import AuthenticationError, ChatSealError, RateLimited

log = logging.getLogger("chatseal.api")

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}


def error_body(
    message: str, error_type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """The OpenAI error object."""
    return {"error": {"message": message, "type": error_type, "param": param, "code": code}}


def error_response(exc: ChatSealError) -> JSONResponse:
    """Render a ChatSeal error with its status, and the headers its status calls for."""
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        # RFC 9110 §10.2.3: delay-seconds, a non-negative integer.
        headers["Retry-After"] = str(max(1, math.ceil(exc.retry_after)))
    if isinstance(exc, AuthenticationError):
        # RFC 6750 §3: a 401 names the scheme; no detail that would help an attacker.
        headers["WWW-Authenticate"] = 'Bearer realm="chatseal", error="invalid_token"'
    status = exc.http_status
    message = exc.message
    if status >= 500:
        message = "The server could not serve this request now; retry later."
    return JSONResponse(
        error_body(message, exc.error_type, exc.param, exc.code),
        status_code=status,
        headers=headers,
    )


def server_error(exc: BaseException) -> JSONResponse:
    """A bug: log the class only (a message could hold request data), answer a bare 500."""
    log.error("unexpected %s while serving a request", exc.__class__.__name__)
    return JSONResponse(
        error_body(
            "The server had an error while processing your request.",
            "server_error",
            None,
            "server_error",
        ),
        status_code=500,
    )


async def http_exception(_: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (unknown route or method) in the OpenAI shape."""
    assert isinstance(exc, HTTPException)
    status = exc.status_code
    message = {
        404: "Unknown request URL. Please check the URL and method.",
        405: "Method not allowed for this URL.",
    }.get(status, str(exc.detail))
    headers = dict(exc.headers or {})
    return JSONResponse(
        error_body(message, "invalid_request_error", None, _HTTP_CODES.get(status)),
        status_code=status,
        headers=headers,
    )


async def unhandled(_: Request, exc: Exception) -> Response:
    """Last resort: a ChatSealError that escaped a handler, or a bug."""
    if isinstance(exc, ChatSealError):
        return error_response(exc)
    return server_error(exc)
