"""`/v1/audit/…`: the transparency log over HTTP, for auditors and third-party verifiers.

Checkpoints, receipts and the verifier key are text in their C2SP formats; proofs and entries are
JSON with base64 hashes (RFC 9162 §2.1.3 and §2.1.4 proofs).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from chatseal.api.errors import error_response, server_error
from chatseal.errors import ChatSealError, InvalidRequest
from chatseal.service.audit_access import AuditReader

MAX_INDEX = 2**63 - 1


def _int(query: QueryParams | dict[str, str], name: str) -> int:
    raw = query.get(name)
    if raw is None or not raw.isdigit() or len(raw) > 19 or int(raw) > MAX_INDEX:
        raise InvalidRequest(f"'{name}' must be a non-negative integer", param=name)
    return int(raw)


def audit_endpoint(
    read: Callable[[AuditReader, QueryParams, dict[str, str]], str | dict[str, Any]],
) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate, rate-limit, read, and answer text or JSON; failures in OpenAI's shape."""
    from chatseal.api.app import OrjsonResponse, state_of

    async def handler(request: Request) -> Response:
        st = state_of(request)
        try:
            path = {k: str(v) for k, v in request.path_params.items()}

            def work() -> str | dict[str, Any]:
                principal = st.authenticate(request)
                st.limiter.take(f"{principal.tenant}\x00{principal.subject}")
                return read(AuditReader(st.session(principal)), request.query_params, path)

            answer = await st.run(work)
        except ChatSealError as exc:
            return error_response(exc)
        except Exception as exc:
            return server_error(exc)
        if isinstance(answer, str):
            return PlainTextResponse(answer)
        return OrjsonResponse(answer)

    return handler


def checkpoint(reader: AuditReader, _q: QueryParams, _p: dict[str, str]) -> str:
    """The newest signed checkpoint."""
    return reader.checkpoint()


def vkey(reader: AuditReader, _q: QueryParams, _p: dict[str, str]) -> str:
    """The verifier key."""
    return reader.vkey() + "\n"


def inclusion(reader: AuditReader, query: QueryParams, _p: dict[str, str]) -> dict[str, Any]:
    """An inclusion proof."""
    return reader.inclusion(_int(query, "index"), _int(query, "tree_size"))


def consistency(reader: AuditReader, query: QueryParams, _p: dict[str, str]) -> dict[str, Any]:
    """A consistency proof."""
    return reader.consistency(_int(query, "first"), _int(query, "second"))


def entries(reader: AuditReader, query: QueryParams, _p: dict[str, str]) -> dict[str, Any]:
    """Leaf data (own tenant) and leaf hashes (everyone else)."""
    return reader.entries(_int(query, "start"), _int(query, "end"))


def receipt(reader: AuditReader, _q: QueryParams, path: dict[str, str]) -> str:
    """A C2SP tlog-proof receipt."""
    return reader.receipt(_int(path, "index"))
