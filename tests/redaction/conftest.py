"""Shared fixtures for the redaction tests: the labelled set and the tenant's names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chatseal.redaction import Span

DATA = Path(__file__).parent / "data"


def load_labelled() -> list[tuple[str, list[Span]]]:
    """Read pii_chat.jsonl as (text, labelled spans) pairs."""
    rows = []
    for line in (DATA / "pii_chat.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        spans = [Span(s["start"], s["end"], s["type"], 1.0) for s in record["spans"]]
        rows.append((record["text"], spans))
    return rows


def tenant_names() -> list[str]:
    """The tenant's list of names used with the labelled set."""
    return [n.strip() for n in (DATA / "tenant_names.txt").read_text().splitlines() if n.strip()]


@pytest.fixture(scope="session")
def labelled() -> list[tuple[str, list[Span]]]:
    """The labelled PII chat messages."""
    return load_labelled()


@pytest.fixture(scope="session")
def names() -> list[str]:
    """The tenant's list of names."""
    return tenant_names()
