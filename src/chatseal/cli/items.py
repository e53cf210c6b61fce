"""`chatseal items add | list | show | delete`."""

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
from chatseal.model import MESSAGE_ROLES


@click.group("items")
def items_group() -> None:
    """Add, list, show and delete a conversation's items."""


@items_group.command("add")
@click.argument("conversation_id")
@principal_options
@click.option("--role", type=click.Choice(sorted(MESSAGE_ROLES)), default="user", show_default=True)
@click.option("--message", required=True, help="Message text.")
@home_option
@clean_errors
def add(
    conversation_id: str,
    tenant: str,
    subject: str | None,
    as_roles: tuple[str, ...],
    purpose: str | None,
    role: str,
    message: str,
    home: str,
) -> None:
    """Append one message; prints the list object of added items."""
    with open_seal_for(home, tenant) as seal:
        session = seal.session(cli_principal(tenant, subject, as_roles, purpose))
        added = session.conversations.items.create(
            conversation_id, items=[{"type": "message", "role": role, "content": message}]
        )
        emit(added.to_dict())


@items_group.command("list")
@click.argument("conversation_id")
@principal_options
@click.option("--order", type=click.Choice(["asc", "desc"]), default="desc", show_default=True)
@click.option("--limit", type=click.IntRange(1, 100), default=20, show_default=True)
@click.option("--after", default=None, help="Item id to start after.")
@home_option
@clean_errors
def list_(
    conversation_id: str,
    tenant: str,
    subject: str | None,
    as_roles: tuple[str, ...],
    purpose: str | None,
    order: str,
    limit: int,
    after: str | None,
    home: str,
) -> None:
    """Print a page of items as the OpenAI list object, content decrypted."""
    with open_seal_for(home, tenant) as seal:
        session = seal.session(cli_principal(tenant, subject, as_roles, purpose))
        emit(
            session.conversations.items.list(
                conversation_id, order=order, limit=limit, after=after
            ).to_dict()
        )


@items_group.command("show")
@click.argument("item_id")
@click.option("--conversation", "conversation_id", required=True, help="Conversation id.")
@principal_options
@home_option
@clean_errors
def show(
    item_id: str,
    conversation_id: str,
    tenant: str,
    subject: str | None,
    as_roles: tuple[str, ...],
    purpose: str | None,
    home: str,
) -> None:
    """Print one item."""
    with open_seal_for(home, tenant) as seal:
        session = seal.session(cli_principal(tenant, subject, as_roles, purpose))
        emit(session.conversations.items.retrieve(item_id, conversation_id=conversation_id))


@items_group.command("delete")
@click.argument("item_id")
@click.option("--conversation", "conversation_id", required=True, help="Conversation id.")
@principal_options
@home_option
@clean_errors
def delete(
    item_id: str,
    conversation_id: str,
    tenant: str,
    subject: str | None,
    as_roles: tuple[str, ...],
    purpose: str | None,
    home: str,
) -> None:
    """Delete one item; prints the conversation."""
    with open_seal_for(home, tenant) as seal:
        session = seal.session(cli_principal(tenant, subject, as_roles, purpose))
        emit(session.conversations.items.delete(item_id, conversation_id=conversation_id).to_dict())


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(items_group)
