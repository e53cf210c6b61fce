"""Request caps and the per-principal token bucket, without a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatseal.api.limits import ApiLimits, RateLimiter, check_items, parse_json_object
from chatseal.config import Config
from chatseal.errors import ConfigError, InvalidRequest, RateLimited


def _config(tmp_path: Path, text: str) -> Config:
    (tmp_path / "chatseal.toml").write_text(text)
    return Config.load(tmp_path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", False),
        ('[api]\nthreadpool = "true"\n', True),
        ("[api]\nthreadpool = false\n", False),
        ('[store]\nurl = "postgresql://db/chatseal"\n', True),
        ('[oidc]\nissuer = "https://i"\naudience = "a"\njwks_url = "https://i/jwks"\n', True),
        ('[oidc]\nissuer = "https://i"\naudience = "a"\njwks_file = "/k.json"\n', False),
    ],
)
def test_threadpool_auto(tmp_path: Path, text: str, expected: bool) -> None:
    """`auto` is inline for SQLite, threadpool for networked stores or JWKS URLs; explicit wins."""
    assert ApiLimits.from_config(_config(tmp_path, text)).threadpool is expected


def test_bad_api_config(tmp_path: Path) -> None:
    """Wrongly typed [api] values are configuration errors."""
    with pytest.raises(ConfigError):
        ApiLimits.from_config(_config(tmp_path, '[api]\nthreadpool = "sometimes"\n'))
    with pytest.raises(ConfigError):
        ApiLimits.from_config(_config(tmp_path, '[api]\nmax_body_bytes = "big"\n'))


def test_json_parsing_caps() -> None:
    """Depth is capped; NaN, lone surrogates and non-objects are refused; an empty body may be {},
    whitespace alone is not JSON."""
    limits = ApiLimits(max_json_depth=4)
    assert parse_json_object(b'{"a": [[1]]}', limits) == {"a": [[1]]}
    for bad in (b'{"a": [[[[1]]]]}', b'{"a": NaN}', b'{"a": "\\ud800"}', b"[]", b"nope", b""):
        with pytest.raises(InvalidRequest):
            parse_json_object(bad, limits)
    assert parse_json_object(b"", limits, required=False) == {}
    with pytest.raises(InvalidRequest):
        parse_json_object(b"  \n", limits, required=False)


def test_item_checks() -> None:
    """Oversized items and non-string roles, statuses or types are refused with the item named."""
    limits = ApiLimits(max_item_bytes=100)
    check_items([{"role": "user", "content": "x"}], limits)
    for items, param in (
        ([{"role": "user", "content": "x" * 200}], "items[0]"),
        ([{"role": "user", "content": "x"}, {"role": {"a": 1}, "content": "x"}], "items[1].role"),
        ([{"type": "message", "status": ["x"]}], "items[0].status"),
    ):
        with pytest.raises(InvalidRequest) as caught:
            check_items(json.loads(json.dumps(items)), limits)
        assert caught.value.param == param


def test_token_bucket() -> None:
    """A key gets its burst, then 429s with a positive wait; other keys are independent."""
    limiter = RateLimiter(rate=1.0, burst=2)
    limiter.take("a")
    limiter.take("a")
    with pytest.raises(RateLimited) as caught:
        limiter.take("a")
    assert 0 < caught.value.retry_after <= 1.0
    limiter.take("b")
