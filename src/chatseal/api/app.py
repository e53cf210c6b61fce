"""The ASGI app: Starlette routes over one `ChatSeal` per worker process (one per region when the
config declares regions: a tenant's data goes only through its region's; docs/deployment.md).

Each data request: cap the body → authenticate → rate-limit the principal → parse JSON (depth
cap) → one library call on the tenant's region → the OpenAI-shaped answer. The blocking part runs
in Starlette's threadpool (the store and key backends are synchronous), or inline when
`[api] threadpool = false`.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from chatseal.api import audit
from chatseal.api import conversations as conv
from chatseal.api.audit import audit_endpoint
from chatseal.api.errors import error_response, http_exception, server_error, unhandled
from chatseal.api.limits import (
    ApiLimits,
    RateLimiter,
    check_items,
    parse_json_object,
    read_body,
)
from chatseal.api.oauth import oauth_token
from chatseal.api.openapi import openapi_spec
from chatseal.auth import Authenticator
from chatseal.config import Config
from chatseal.errors import AuthenticationError, ChatSealError
from chatseal.model import Principal
from chatseal.service import ChatSeal, Session
from chatseal.service.maintenance import Maintenance
from chatseal.service.regions import DEFAULT_REGION, RegionRouter, has_regions

T = TypeVar("T")
# An operation answers a JSON object, or its JSON already serialised (a page of items).
Operation = Callable[[Session, dict[str, str], QueryParams, dict[str, Any]], dict[str, Any] | bytes]


@dataclass
class ApiState:
    """What every request of one worker shares.

    `seal` is the default region's ChatSeal: authentication, tokens, JWKS and OAuth clients use
    it. `session(principal)` opens a principal's session on its tenant's region: with `router`
    (the config declares regions) the router's, else `seal.session` itself, so a single-region
    server does no lookup at all.
    """

    seal: ChatSeal
    auth: Authenticator
    limits: ApiLimits
    limiter: RateLimiter
    failures: RateLimiter
    router: RegionRouter | None = None
    session: Callable[[Principal], Session] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        router = self.router
        if router is None:
            self.session = self.seal.session
        else:
            self.session = lambda principal: router.seal_for(principal.tenant).session(principal)

    async def run(self, work: Callable[[], T]) -> T:
        """Run blocking work in the threadpool, or inline when configured so."""
        if self.limits.threadpool:
            return await run_in_threadpool(work)
        return work()

    def authenticate(self, request: Request) -> Principal:
        """Authenticate a request; repeated failures from one address are rate-limited."""
        try:
            return self.auth.authenticate(
                request.headers.get("authorization"), peer_certificate(request.scope)
            )
        except AuthenticationError:
            self.failures.take("addr:" + (request.client.host if request.client else "-"))
            raise


class OrjsonResponse(JSONResponse):
    """JSON rendered by orjson (the library's own serialiser; a few times faster than json)."""

    def render(self, content: Any) -> bytes:
        """Serialise the answer."""
        return orjson.dumps(content)


def peer_certificate(scope: dict[str, Any] | Any) -> bytes | None:
    """The verified client certificate (DER) our protocol class put in the ASGI TLS extension."""
    tls = scope.get("extensions", {}).get("tls") if isinstance(scope, dict) else None
    chain = tls.get("client_cert_chain") if isinstance(tls, dict) else None
    if not chain:
        return None
    return ssl.PEM_cert_to_DER_cert(chain[0])


def state_of(request: Request) -> ApiState:
    """The worker's shared state."""
    st: ApiState = request.app.state.chatseal
    return st


def endpoint(
    op: Operation, *, body: bool, body_required: bool = True
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap an operation in the request pipeline; every failure becomes an OpenAI error."""

    async def handler(request: Request) -> Response:
        st = state_of(request)
        try:
            raw = await read_body(request, st.limits) if body else b""
            path = {k: str(v) for k, v in request.path_params.items()}
            query = request.query_params

            def work() -> dict[str, Any] | bytes:
                principal = st.authenticate(request)
                st.limiter.take(f"{principal.tenant}\x00{principal.subject}")
                doc = parse_json_object(raw, st.limits, required=body_required) if body else {}
                check_items(doc.get("items"), st.limits)
                return op(st.session(principal), path, query, doc)

            answer = await st.run(work)
            if isinstance(answer, bytes):
                return Response(answer, media_type="application/json")
            return OrjsonResponse(answer)
        except ChatSealError as exc:
            return error_response(exc)
        except Exception as exc:
            return server_error(exc)

    return handler


async def healthz(_: Request) -> Response:
    """Liveness: checks nothing external (HARDENING.md, probes)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    """Readiness: the store answers, the key backend answers, the signing key loads (and the
    store and key backend of every other region opened)."""
    st = state_of(request)

    def check() -> dict[str, str]:
        checks: dict[str, str] = {}
        probes: list[tuple[str, Callable[[], object]]] = [
            ("store", st.seal.store.ping),
            ("keys", st.seal.keys.ping),
            ("signing_key", st.auth.tokens.keys.reload),
        ]
        if st.router is not None:
            for region, seal in st.router.opened().items():
                if region != DEFAULT_REGION:
                    probes += [
                        (f"store:{region}", seal.store.ping),
                        (f"keys:{region}", seal.keys.ping),
                    ]
        for name, probe in probes:
            try:
                probe()
                checks[name] = "ok"
            except Exception:
                checks[name] = "unavailable"
        return checks

    checks = await run_in_threadpool(check)
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


async def jwks(request: Request) -> Response:
    """The public keys of ChatSeal's tokens, current and previous (RFC 7517 §5)."""
    st = state_of(request)
    try:
        doc = await run_in_threadpool(st.auth.tokens.keys.jwks)
    except ChatSealError as exc:
        return error_response(exc)
    return JSONResponse(doc, headers={"Cache-Control": "public, max-age=60"})


async def openapi(_: Request) -> Response:
    """The OpenAPI 3.1 description of this app."""
    return JSONResponse(openapi_spec())


def routes() -> list[BaseRoute]:
    """Every route of the app (the OpenAPI document lists exactly these)."""
    c = conv
    return [
        Route(
            "/v1/conversations",
            endpoint(c.create_conversation, body=True, body_required=False),
            methods=["POST"],
        ),
        Route(
            "/v1/conversations/{conversation_id}",
            endpoint(c.retrieve_conversation, body=False),
            methods=["GET"],
        ),
        Route(
            "/v1/conversations/{conversation_id}",
            endpoint(c.update_conversation, body=True),
            methods=["POST"],
        ),
        Route(
            "/v1/conversations/{conversation_id}",
            endpoint(c.delete_conversation, body=False),
            methods=["DELETE"],
        ),
        Route(
            "/v1/conversations/{conversation_id}/items",
            endpoint(c.create_items, body=True),
            methods=["POST"],
        ),
        Route(
            "/v1/conversations/{conversation_id}/items",
            endpoint(c.list_items, body=False),
            methods=["GET"],
        ),
        Route(
            "/v1/conversations/{conversation_id}/items/{item_id}",
            endpoint(c.retrieve_item, body=False),
            methods=["GET"],
        ),
        Route(
            "/v1/conversations/{conversation_id}/items/{item_id}",
            endpoint(c.delete_item, body=False),
            methods=["DELETE"],
        ),
        Route("/v1/audit/checkpoint", audit_endpoint(audit.checkpoint), methods=["GET"]),
        Route("/v1/audit/vkey", audit_endpoint(audit.vkey), methods=["GET"]),
        Route("/v1/audit/proof/inclusion", audit_endpoint(audit.inclusion), methods=["GET"]),
        Route("/v1/audit/proof/consistency", audit_endpoint(audit.consistency), methods=["GET"]),
        Route("/v1/audit/entries", audit_endpoint(audit.entries), methods=["GET"]),
        Route("/v1/audit/receipt/{index}", audit_endpoint(audit.receipt), methods=["GET"]),
        Route("/oauth/token", oauth_token, methods=["POST"]),
        Route("/.well-known/jwks.json", jwks, methods=["GET"]),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/openapi.json", openapi, methods=["GET"]),
    ]


def build_app(
    seal: ChatSeal, *, home: Path | None = None, config: Config | None = None, close: bool = False
) -> Starlette:
    """The app over an open ChatSeal; `close=True` closes it when the app shuts down."""
    cfg = config or seal.config or Config.load(home)
    root = Path(home) if home is not None else cfg.home
    limits = ApiLimits.from_config(cfg)
    # With regions, `seal` serves the default region and the router opens the others.
    router = RegionRouter(cfg, default=seal) if has_regions(cfg) else None
    state = ApiState(
        seal=seal,
        auth=Authenticator(seal, root, cfg),
        limits=limits,
        limiter=RateLimiter(limits.rate_per_second, limits.rate_burst),
        failures=RateLimiter(limits.rate_per_second, limits.rate_burst),
        router=router,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # A serving process integrates audit events, signs checkpoints and runs retention and
        # key rotation by age in the background (only when it owns the ChatSeal). It opens every
        # region at start, so each region's log and retention run even before its first request
        # (and a region that cannot be opened stops the start, as the default region does).
        maintenance: list[Maintenance] = []
        try:
            if close:
                maintenance.append(Maintenance(seal))
                if router is not None:
                    for region in router.regions:
                        if region != DEFAULT_REGION:
                            maintenance.append(Maintenance(router.seal(region)))
            for job in maintenance:
                job.start()
            yield
        finally:
            for job in maintenance:
                job.stop()
            if router is not None:
                router.close()  # the regions it opened, not `seal`
            if close:
                seal.close()

    app = Starlette(
        routes=routes(),
        exception_handlers={HTTPException: http_exception, Exception: unhandled},
        lifespan=lifespan,
    )
    app.state.chatseal = state
    return app


def create_app(home: str | Path | None = None) -> Starlette:
    """Open the home's ChatSeal (once per worker process) and build the app over it."""
    seal = ChatSeal.open(home)
    return build_app(seal, home=seal.config.home if seal.config else None, close=True)
