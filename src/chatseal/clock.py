"""Injectable time, randomness and identifiers, so tests control them (DESIGN.md)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock time in seconds since the epoch."""

    def now(self) -> float:
        """Return the current time."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> float:
        """Return `time.time()`."""
        return time.time()


@dataclass
class FixedClock:
    """A clock that moves only when told to."""

    at: float = 1_700_000_000.0

    def now(self) -> float:
        """Return the pinned time."""
        return self.at

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.at += seconds


class Random(Protocol):
    """A source of cryptographically secure random bytes."""

    def bytes(self, n: int) -> bytes:
        """Return n random bytes."""
        ...


class SystemRandom:
    """The operating system's CSPRNG."""

    def bytes(self, n: int) -> bytes:
        """Return n bytes from the OS CSPRNG (what `secrets.token_bytes` reads, without its two
        layers of indirection: ids are minted on every append)."""
        return os.urandom(n)


@dataclass
class IdGenerator:
    """Makes resource ids: a prefix and 192 bits from the CSPRNG (HARDENING.md: ≥ 128 bits)."""

    random: Random = field(default_factory=SystemRandom)

    def new(self, prefix: str) -> str:
        """Return a fresh id such as `conv_3f…`."""
        return f"{prefix}_{self.random.bytes(24).hex()}"
