"""Timing helpers shared by the benchmarks: interleaved rounds, medians, and ratios.

The machine is shared and noisy, so every figure that matters is a ratio against a baseline
measured in the same run, in alternating rounds, and reported as the median of the rounds.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def scenario(us_per_op: float) -> dict[str, float]:
    """The JSON shape of one scenario."""
    return {"ops_per_s": round(1e6 / us_per_op, 1), "us_per_op": round(us_per_op, 2)}


def timed(op: Callable[[int], object], count: int) -> float:
    """Run `op(i)` for i in range(count) and return microseconds per call."""
    start = time.perf_counter()
    for i in range(count):
        op(i)
    return (time.perf_counter() - start) / count * 1e6


def _shifted(op: Callable[[int], object], offset: int) -> Callable[[int], object]:
    """`op` with its argument moved by `offset`, so rounds never reuse an index."""
    return lambda i: op(offset + i)


def interleaved(
    ops: dict[str, Callable[[int], object]], count: int, rounds: int
) -> dict[str, float]:
    """Median µs/op of each op over `rounds` alternating rounds of `count` calls."""
    samples: dict[str, list[float]] = {name: [] for name in ops}
    offset = 0
    for _ in range(rounds):
        for name, op in ops.items():
            samples[name].append(timed(_shifted(op, offset), count))
        offset += count
    return {name: statistics.median(values) for name, values in samples.items()}


def target(value: float, goal: str, met: bool, floor: float | None = None) -> dict[str, Any]:
    """The JSON shape of one target check; `floor` is the value the least possible store with the
    same guarantees reaches in the same run, where a benchmark measures one."""
    check: dict[str, Any] = {"value": round(value, 3), "target": goal, "met": bool(met)}
    if floor is not None:
        check["floor"] = round(floor, 3)
    return check
