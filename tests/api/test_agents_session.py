"""The Agents SDK's `OpenAIConversationsSession`, unchanged, against the live server."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest
from agents.memory import OpenAIConversationsSession
from openai import AsyncOpenAI

from .conftest import Live


def _text(item: Any) -> str:
    content = item["content"]
    return content if isinstance(content, str) else content[0]["text"]


async def _scenario(live: Live) -> None:
    client = AsyncOpenAI(
        base_url=live.url + "/v1", api_key=live.token(roles=("agent",), purpose="assist")
    )
    session = OpenAIConversationsSession(openai_client=client)
    try:
        await session.add_items(
            [{"role": "user", "content": f"turn {i}"} for i in range(25)]
        )  # two requests
        await session.add_items([{"role": "assistant", "content": "reply"}])
        conversation_id = await session._get_session_id()
        everything = await session.get_items()
        assert [_text(i) for i in everything] == [f"turn {i}" for i in range(25)] + ["reply"]
        last_three = await session.get_items(limit=3)
        assert [_text(i) for i in last_three] == ["turn 23", "turn 24", "reply"]
        popped = await session.pop_item()
        assert popped is not None and _text(popped) == "reply"
        assert [_text(i) for i in await session.get_items(limit=1)] == ["turn 24"]
        await session.clear_session()
        with pytest.raises(openai.NotFoundError):
            await client.conversations.retrieve(conversation_id)
        assert await session.pop_item() is None  # a fresh, empty conversation after clearing
    finally:
        await client.close()


def test_openai_conversations_session(live: Live) -> None:
    """add_items, get_items with and without a limit, pop_item and clear_session all work."""
    asyncio.run(_scenario(live))
