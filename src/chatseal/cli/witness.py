"""`chatseal witness init | trust | cosign | vkey`: an independent witness of the audit log."""

from __future__ import annotations

import base64
import binascii
import sys
from pathlib import Path
from typing import TextIO

import click

from chatseal.audit.witness_home import init_witness, open_witness, trust_log
from chatseal.cli.common import clean_errors
from chatseal.errors import InvalidRequest

directory_argument = click.argument("directory", type=click.Path(file_okay=False, path_type=Path))


@click.group("witness")
def witness_group() -> None:
    """A witness keeps its own key and state, checks that each checkpoint it is shown is
    consistent with the last one it cosigned, and returns a C2SP timestamped cosignature."""


@witness_group.command("init")
@directory_argument
@click.option("--name", required=True, help="The witness's key name, e.g. witness.example.org.")
@clean_errors
def init(directory: Path, name: str) -> None:
    """Create a witness in DIRECTORY (key 0600); prints its verifier key."""
    click.echo(init_witness(directory, name).vkey())


@witness_group.command("trust")
@directory_argument
@click.argument("vkey")
@clean_errors
def trust(directory: Path, vkey: str) -> None:
    """Cosign the log whose verifier key is VKEY (from 'chatseal audit vkey')."""
    click.echo(f"trusting {trust_log(directory, vkey).name}")


@witness_group.command("vkey")
@directory_argument
@clean_errors
def vkey(directory: Path) -> None:
    """Print the witness's verifier key."""
    click.echo(open_witness(directory).verifier.vkey())


@witness_group.command("cosign")
@directory_argument
@click.option("--old-size", type=click.IntRange(min=0), required=True, help="Size last cosigned.")
@click.option(
    "--proof",
    type=click.File("r"),
    default=None,
    help="Consistency proof from --old-size: base64 hashes, one a line.",
)
@clean_errors
def cosign(directory: Path, old_size: int, proof: TextIO | None) -> None:
    """Read a signed checkpoint on stdin; print the cosignature line if it is consistent."""
    hashes = []
    for line in (proof.read() if proof is not None else "").split():
        try:
            hashes.append(base64.b64decode(line, validate=True))
        except binascii.Error:
            raise InvalidRequest(
                "the proof holds a line that is not base64", param="proof"
            ) from None
    click.echo(open_witness(directory).cosign(sys.stdin.read(), old_size, hashes), nl=False)


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(witness_group)
