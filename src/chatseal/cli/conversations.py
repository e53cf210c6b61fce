"""`chatseal conversations create | show | update | delete`."""

from __future__ import annotations

import click

from chatseal.cli.common import (
    clean_errors,
    cli_principal,
    emit,
    home_option,
    open_seal_for,
    principal_options,
)
from chatseal.errors import InvalidRequest
from chatseal.model import CLASSIFICATIONS, MESSAGE_ROLES


def parse_metadata(pairs: tuple[str, ...]) -> dict[str, str]:
    """Turn KEY=VALUE pairs into a dict."""
    metadata: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidRequest(f"metadata must be KEY=VALUE, got '{key}'", param="metadata")
        metadata[key] = value
    return metadata


def pair_messages(roles: tuple[str, ...], messages: tuple[str, ...]) -> list[dict[str, str]]:
    """Pair each --role with the --message at the same place (a missing role means user)."""
    if len(roles) > len(messages):
        raise InvalidRequest("each --role needs a --message after it", param="role")
    padded = list(roles) + ["user"] * (len(messages) - len(roles))
    return [
        {"type": "message", "role": r, "content": m} for r, m in zip(padded, messages, strict=True)
    ]


@click.group("conversations")
def conversations_group() -> None:
    """Create, show, update and delete conversations."""


@conversations_group.command("create")
@principal_options
@click.option(
    "--role",
    "roles",
    multiple=True,
    type=click.Choice(sorted(MESSAGE_ROLES)),
    help="Role of the next --message.",
)
@click.option("--message", "messages", multiple=True, help="Initial message (repeatable).")
@click.option("--metadata", "metadata", multiple=True, help="KEY=VALUE (repeatable).")
@click.option(
    "--classification",
    type=click.Choice(CLASSIFICATIONS),
    default=None,
    help="Classification tier (default: the tenant's default tier, else internal).",
)
@home_option
@clean_errors
def create(
    tenant: str,
    subject: str | None,
    as_roles: tuple[str, ...],
    purpose: str | None,
    roles: tuple[str, ...],
    messages: tuple[str, ...],
    metadata: tuple[str, ...],
    classification: str | None,
    home: str,
) -> None:
    """Create a conversation; prints it as JSON."""
    with open_seal_for(home, tenant) as seal:
        session = seal.session(cli_principal(tenant, subject, as_roles, purpose))
        conversation = session.conversations.create(
            items=list(pair_messages(roles, messages)),
            metadata=parse_metadata(metadata),
            classification=classification,
        )
        emit(conversation.to_dict())


@conversations_group.command("show")
@click.argument("conversation_id")
@principal_options
@home_option
@clean_errors
def show(
    conversation_id: str,
    tenant: str,
    subject: str | None,
    as_roles: tuple[str, ...],
    purpose: str | None,
    home: str,
) -> None:
    """Print a conversation as JSON."""
    with open_seal_for(home, tenant) as seal:
        session = seal.session(cli_principal(tenant, subject, as_roles, purpose))
        emit(session.conversations.retrieve(conversation_id).to_dict())


@conversations_group.command("update")
@click.argument("conversation_id")
@principal_options
@click.option(
    "--metadata", "metadata", multiple=True, help="KEY=VALUE (repeatable); replaces the metadata."
)
@home_option
@clean_errors
def update(
    conversation_id: str,
    tenant: str,
    subject: str | None,
    as_roles: tuple[str, ...],
    purpose: str | None,
    metadata: tuple[str, ...],
    home: str,
) -> None:
    """Replace a conversation's metadata."""
    with open_seal_for(home, tenant) as seal:
        session = seal.session(cli_principal(tenant, subject, as_roles, purpose))
        emit(
            session.conversations.update(
                conversation_id, metadata=parse_metadata(metadata)
            ).to_dict()
        )


@conversations_group.command("delete")
@click.argument("conversation_id")
@principal_options
@home_option
@clean_errors
def delete(
    conversation_id: str,
    tenant: str,
    subject: str | None,
    as_roles: tuple[str, ...],
    purpose: str | None,
    home: str,
) -> None:
    """Delete a conversation: its data key is destroyed with its rows (crypto-shred)."""
    with open_seal_for(home, tenant) as seal:
        session = seal.session(cli_principal(tenant, subject, as_roles, purpose))
        emit(session.conversations.delete(conversation_id).to_dict())


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(conversations_group)
