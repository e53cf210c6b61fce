"""The component schemas of the OpenAPI document: OpenAI's object shapes and our inputs.

Input item schemas describe exactly what the server accepts: messages, function calls and their
outputs are validated; any other item type or content part is stored whole.
"""

from __future__ import annotations

from typing import Any

ID_PATTERN = "^[A-Za-z0-9_-]{1,128}$"
TEXT_PARTS = ["input_text", "output_text", "text", "summary_text", "reasoning_text"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def schemas() -> dict[str, Any]:
    """Every component schema by name."""
    text_part = {
        "type": "object",
        "required": ["type", "text"],
        "properties": {
            "type": {
                "type": "string",
                "enum": ["input_text", "output_text", "text", "summary_text", "reasoning_text"],
            },
            "text": {"type": "string"},
        },
    }
    other_part = {
        "type": "object",
        "required": ["type"],
        "description": "Any other content part (input_image, refusal, …), stored whole.",
        "properties": {"type": {"type": "string", "not": {"enum": TEXT_PARTS}}},
    }
    status = {"type": "string", "enum": ["in_progress", "completed", "incomplete"]}
    message = {
        "type": "object",
        "required": ["role", "content"],
        "properties": {
            "type": {"type": "string", "enum": ["message"]},
            "role": {
                "type": "string",
                "enum": ["user", "assistant", "system", "developer", "tool"],
            },
            "content": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "array", "items": {"anyOf": [text_part, other_part]}},
                ]
            },
            "status": status,
        },
    }
    function_call = {
        "type": "object",
        "required": ["type", "call_id", "name", "arguments"],
        "properties": {
            "type": {"type": "string", "enum": ["function_call"]},
            "call_id": {"type": "string", "minLength": 1},
            "name": {"type": "string", "minLength": 1},
            "arguments": {"type": "string"},
            "status": status,
        },
    }
    function_output = {
        "type": "object",
        "required": ["type", "call_id", "output"],
        "properties": {
            "type": {"type": "string", "enum": ["function_call_output"]},
            "call_id": {"type": "string", "minLength": 1},
            "output": {"anyOf": [{"type": "string"}, {"type": "array"}]},
            "status": status,
        },
    }
    other_item = {
        "type": "object",
        "required": ["type"],
        "description": "Any other OpenAI item type (reasoning, tool calls, …), stored whole.",
        "properties": {
            "type": {
                "type": "string",
                "minLength": 1,
                "maxLength": 64,
                "not": {"enum": ["message", "function_call", "function_call_output"]},
            },
            "status": status,
        },
    }
    metadata = {
        "type": ["object", "null"],
        "maxProperties": 16,
        "propertyNames": {"minLength": 1, "maxLength": 64},
        "additionalProperties": {"type": "string", "maxLength": 512},
    }
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["message", "type", "param", "code"],
                    "properties": {
                        "message": {"type": "string"},
                        "type": {"type": "string"},
                        "param": {"type": ["string", "null"]},
                        "code": {"type": ["string", "null"]},
                    },
                }
            },
        },
        "Metadata": metadata,
        "InputItem": {"anyOf": [message, function_call, function_output, other_item]},
        "Item": {
            "type": "object",
            "required": ["id", "type"],
            "properties": {"id": {"type": "string"}, "type": {"type": "string"}, "status": status},
        },
        "ItemList": {
            "type": "object",
            "required": ["object", "data", "first_id", "last_id", "has_more"],
            "properties": {
                "object": {"const": "list"},
                "data": {"type": "array", "items": _ref("Item")},
                "first_id": {"type": ["string", "null"]},
                "last_id": {"type": ["string", "null"]},
                "has_more": {"type": "boolean"},
            },
        },
        "Conversation": {
            "type": "object",
            "required": ["id", "object", "created_at", "metadata"],
            "properties": {
                "id": {"type": "string"},
                "object": {"const": "conversation"},
                "created_at": {"type": "integer"},
                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
            },
        },
        "ConversationDeleted": {
            "type": "object",
            "required": ["id", "object", "deleted"],
            "properties": {
                "id": {"type": "string"},
                "object": {"const": "conversation.deleted"},
                "deleted": {"type": "boolean"},
            },
        },
        "TokenResponse": {
            "type": "object",
            "required": ["access_token", "token_type", "expires_in"],
            "properties": {
                "access_token": {"type": "string"},
                "token_type": {"const": "Bearer"},
                "expires_in": {"type": "integer"},
            },
        },
        "OAuthError": {
            "type": "object",
            "required": ["error"],
            "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
        },
        "Status": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string"}, "checks": {"type": "object"}},
        },
        "JWKS": {
            "type": "object",
            "required": ["keys"],
            "properties": {
                "keys": {"type": "array", "items": {"type": "object", "required": ["kty", "kid"]}}
            },
        },
    }
