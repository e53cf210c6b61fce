"""Helpers for service tests on the private PostgreSQL of scripts/services/postgres.sh."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from chatseal.clock import Clock
from chatseal.service import ChatSeal
from store import pg


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new database at the newest schema (migrated by the owner role); yields the app URL."""
    name = pg.create_database()
    try:
        pg.migrate_as_owner(name)
        yield pg.with_database(pg.require_env(pg.APP_URL), name)
    finally:
        pg.drop_database(name)


@contextmanager
def pg_seal(home: Path, url: str, clock: Clock | None = None) -> Iterator[ChatSeal]:
    """A ChatSeal whose store is `url` (the application role), closed afterwards."""
    seal = ChatSeal.open(home, store_url=url, create=True, clock=clock)
    try:
        yield seal
    finally:
        seal.close()


@contextmanager
def two_region_home(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """A home whose default region and region `eu` are two fresh PostgreSQL databases (moves
    allowed from eu to default); yields the home and both application URLs."""
    home = tmp_path / "home"
    with fresh_database() as default_url, fresh_database() as eu_url:
        with pg_seal(home, default_url):
            pass  # creates the home, its root key and the default region's audit key
        (home / "chatseal.toml").write_text(
            f'[store]\nurl = "{default_url}"\n'
            f'[regions.eu]\nstore = "{eu_url}"\nkeys = "local:{home / "keyring-eu.json"}"\n'
            f'audit_dir = "{tmp_path / "eu"}"\nallow_moves_to = ["default"]\n',
            encoding="utf-8",
        )
        yield home, default_url, eu_url
