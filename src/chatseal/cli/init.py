"""`chatseal init` and `chatseal migrate`."""

from __future__ import annotations

import click

from chatseal.cli.common import clean_errors, home_option
from chatseal.config import Config
from chatseal.service import initialise_home
from chatseal.service.regions import initialise_regions, migrate_regions
from chatseal.store import open_store


@click.command("init")
@home_option
@clean_errors
def init_command(home: str) -> None:
    """Create a ChatSeal home: directory, development root key (0600) and store schema.

    Safe to run twice. The root key file is for development: production keeps its keys in a KMS or
    HSM (CHATSEAL_KEYS=pkcs11:… or transit:…).
    """
    config = Config.load(home)
    # Every region's store gets the schema too: a tenant pinned to a region writes only there.
    done = initialise_home(config) + initialise_regions(config)
    for line in done or [f"{config.home} is already initialised"]:
        click.echo(line)


@click.command("migrate")
@home_option
@clean_errors
def migrate_command(home: str) -> None:
    """Bring every region's store schema to the version this ChatSeal expects (an explicit step)."""
    config = Config.load(home)
    store = open_store(config.store_url)
    try:
        before = store.schema_version()
        after = store.migrate()
    finally:
        store.close()
    click.echo(_migrated("", before, after))
    for name, before, after in migrate_regions(config):
        click.echo(_migrated(f"region {name}: ", before, after))


def _migrated(prefix: str, before: int, after: int) -> str:
    return prefix + (
        f"schema v{before} -> v{after}" if after != before else f"schema is at v{after}"
    )


def register(cli: click.Group) -> None:
    """Add the commands to the root group."""
    cli.add_command(init_command)
    cli.add_command(migrate_command)
