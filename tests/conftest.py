"""Shared fixtures: a fresh ChatSeal home per test, and principals of two tenants."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from chatseal.clock import FixedClock
from chatseal.model import Principal
from chatseal.service import ChatSeal


def require_env(name: str) -> str:
    """Return a service address the test harness exported, or fail loudly (never skip)."""
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: run the suite with `make test` (scripts/test.sh starts the services)"
        )
    return value


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A path for a new ChatSeal home."""
    return tmp_path / "home"


@pytest.fixture
def clock() -> FixedClock:
    """A clock the test moves by hand."""
    return FixedClock(1_800_000_000.0)


@pytest.fixture
def seal(home: Path, clock: FixedClock) -> Iterator[ChatSeal]:
    """An initialised ChatSeal with tenants `acme` and `globex`."""
    cs = ChatSeal.open(home, create=True, clock=clock)
    cs.tenants.create("acme")
    cs.tenants.create("globex")
    yield cs
    cs.close()


@pytest.fixture
def alice() -> Principal:
    """An end user of acme."""
    return Principal.of("acme", "alice@example.com", "user")


@pytest.fixture
def bob() -> Principal:
    """Another end user of acme."""
    return Principal.of("acme", "bob@example.com", "user")


@pytest.fixture
def mallory() -> Principal:
    """A service agent of another tenant (it may work on every globex conversation)."""
    return Principal.of("globex", "mallory", "agent", purpose="operations")
