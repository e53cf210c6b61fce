"""Caps on what a request may cost: body size, JSON depth, item size, and a per-principal rate.

Every rejection here is a 4xx raised before anything is written (THREATS.md, bad input).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import orjson
from starlette.requests import Request

from chatseal.config import Config
from chatseal.errors import ChatSealError, ConfigError, InvalidRequest, RateLimited


class PayloadTooLarge(InvalidRequest):
    """The body is larger than `[api] max_body_bytes` (HTTP 413)."""

    http_status = 413
    code = "request_too_large"


@dataclass(frozen=True)
class ApiLimits:
    """`[api]` settings (and `[limits] max_item_bytes`)."""

    max_body_bytes: int = 4 * 1024 * 1024
    max_json_depth: int = 32
    max_item_bytes: int = 1024 * 1024
    rate_per_second: float = 50.0
    rate_burst: float = 100.0
    threadpool: bool = True

    @classmethod
    def from_config(cls, config: Config) -> ApiLimits:
        """Read the limits from the merged configuration."""
        api = config.section("api")
        base = cls()
        try:
            return cls(
                max_body_bytes=int(api.get("max_body_bytes", base.max_body_bytes)),
                max_json_depth=int(api.get("max_json_depth", base.max_json_depth)),
                max_item_bytes=int(
                    config.section("limits").get("max_item_bytes", base.max_item_bytes)
                ),
                rate_per_second=float(api.get("rate_limit_per_second", base.rate_per_second)),
                rate_burst=float(api.get("rate_limit_burst", base.rate_burst)),
                threadpool=_threadpool(api.get("threadpool", "auto"), config),
            )
        except (TypeError, ValueError):
            raise ConfigError("[api] has a value of the wrong type") from None


def _threadpool(value: object, config: Config) -> bool:
    """`auto` runs library calls inline for SQLite (measured faster: no thread hop, and no writer
    threads queueing on SQLite's lock), and in the threadpool for networked stores or when an
    OIDC issuer's JWKS is fetched over the network (a refresh must not stall the event loop)."""
    if value == "auto":
        oidc = config.section("oidc")
        tables = oidc.get("issuers", [oidc])
        fetches = any(isinstance(t, dict) and t.get("jwks_url") for t in tables)
        return fetches or not config.store_url.startswith("sqlite:")
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    raise ConfigError("[api] threadpool is true, false or auto")


async def read_body(request: Request, limits: ApiLimits) -> bytes:
    """Read the body, refusing it (413) as soon as it passes the cap, declared or not."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limits.max_body_bytes):
        raise PayloadTooLarge(f"the request body is larger than {limits.max_body_bytes} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise PayloadTooLarge(f"the request body is larger than {limits.max_body_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _depth_ok(value: Any, limit: int) -> bool:
    """Walk the document without recursion; False when nesting passes `limit`."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        if depth > limit:
            return False
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return True


def parse_json_object(body: bytes, limits: ApiLimits, *, required: bool = True) -> dict[str, Any]:
    """Parse a JSON object body with a depth cap; 400 in OpenAI's words when it is not one."""
    if not body:
        # No body at all is allowed where the body is optional (POST /v1/conversations);
        # whitespace alone is not JSON and is refused like any other malformed body.
        if required:
            raise InvalidRequest("The request body must be a JSON object.", code="invalid_json")
        return {}
    try:
        # orjson refuses NaN, Infinity and lone surrogates, which the store could not seal later
        # (RFC 8259 §6 and §8.2); integers past 64 bits arrive as doubles.
        doc = orjson.loads(body)
    except (orjson.JSONDecodeError, RecursionError):
        raise InvalidRequest(
            "We could not parse the JSON body of your request. The body must be valid JSON.",
            code="invalid_json",
        ) from None
    if not isinstance(doc, dict):
        raise InvalidRequest("The request body must be a JSON object.", code="invalid_json")
    if not _depth_ok(doc, limits.max_json_depth):
        raise InvalidRequest(
            f"the JSON body nests deeper than {limits.max_json_depth} levels", code="too_deep"
        )
    return doc


def check_items(items: Any, limits: ApiLimits) -> None:
    """Each item, serialised, must fit `[limits] max_item_bytes`, and name its role and status
    with strings (the model tests them against sets, where a JSON object would not hash)."""
    if not isinstance(items, list):
        return
    for index, item in enumerate(items):
        for field in ("role", "status", "type"):
            if isinstance(item, dict) and field in item and not isinstance(item[field], str):
                raise InvalidRequest(f"'{field}' must be a string", param=f"items[{index}].{field}")
        size = len(orjson.dumps(item))
        if size > limits.max_item_bytes:
            raise InvalidRequest(
                f"an item is larger than {limits.max_item_bytes} bytes", param=f"items[{index}]"
            )


class RateLimiter:
    """A token bucket per key (a principal, or a client address for failed logins).

    In-process: each worker holds its own buckets, so the effective rate is per worker.
    """

    MAX_KEYS = 100_000

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        """Spend one token or raise RateLimited with the wait until the next."""
        if self.rate <= 0:
            return
        now = time.monotonic()
        with self._lock:
            tokens, stamp = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - stamp) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited(
                    "Rate limit reached for requests; slow down.",
                    retry_after=(1.0 - tokens) / self.rate,
                )
            self._buckets[key] = (tokens - 1.0, now)
            while len(self._buckets) > self.MAX_KEYS:
                self._buckets.popitem(last=False)


def is_client_error(exc: ChatSealError) -> bool:
    """Whether an error is the caller's (4xx)."""
    return 400 <= exc.http_status < 500
