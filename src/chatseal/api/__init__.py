"""The HTTP front door: the OpenAI Conversations API over ChatSeal, as a Starlette ASGI app."""

from chatseal.api.app import build_app, create_app

__all__ = ["build_app", "create_app"]
