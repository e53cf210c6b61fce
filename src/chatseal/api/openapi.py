"""The OpenAPI 3.1 description of the app, written by hand and checked by the tests.

`tests/api/test_openapi.py` proves it lists exactly the app's routes, and schemathesis checks
every answer against it. The component schemas live in `chatseal.api.schemas`.
"""

from __future__ import annotations

from typing import Any

from chatseal import __version__
from chatseal.api.conversations import INCLUDABLE
from chatseal.api.schemas import ID_PATTERN, schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    text = {
        400: "Invalid request",
        401: "Missing or invalid credential",
        403: "Not allowed",
        404: "Not found (or not visible to the caller)",
        405: "Method not allowed",
        413: "Body too large",
        429: "Rate limited (see Retry-After)",
        500: "Server error",
        503: "Store or keys unavailable",
    }
    out: dict[str, Any] = {}
    for code in codes:
        response = _json(_ref("Error"), text[code])
        if code == 429:
            response["headers"] = {
                "Retry-After": {"schema": {"type": "string"}, "description": "seconds"}
            }
        out[str(code)] = response
    return out


_ID_ERRORS = (400, 401, 403, 404, 429, 500, 503)
_PARAM_CONV = {
    "name": "conversation_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": ID_PATTERN},
}
_PARAM_ITEM = {
    "name": "item_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": ID_PATTERN},
}
_PARAM_INCLUDE = {
    "name": "include[]",
    "in": "query",
    "required": False,
    "style": "form",
    "explode": True,
    "schema": {
        "type": "array",
        "maxItems": 16,
        "items": {"type": "string", "enum": sorted(INCLUDABLE)},
    },
}


def _op(
    op_id: str, summary: str, ok: dict[str, Any], errors: tuple[int, ...], **extra: Any
) -> dict[str, Any]:
    return {
        "operationId": op_id,
        "summary": summary,
        "tags": ["Conversations"],
        "responses": {"200": ok, **_errors(*errors)},
        **extra,
    }


def _body(schema: dict[str, Any], required: bool = True) -> dict[str, Any]:
    return {"required": required, "content": {"application/json": {"schema": schema}}}


def _conversation_paths() -> dict[str, Any]:
    items = {"type": "array", "maxItems": 20, "items": _ref("InputItem")}
    conversation = _json(_ref("Conversation"), "The conversation")
    return {
        "/v1/conversations": {
            "post": _op(
                "createConversation",
                "Create a conversation, with up to 20 initial items",
                conversation,
                (400, 401, 403, 413, 429, 500, 503),
                requestBody=_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "items": {**items, "type": ["array", "null"]},
                            "metadata": _ref("Metadata"),
                        },
                    },
                    required=False,
                ),
            )
        },
        "/v1/conversations/{conversation_id}": {
            "parameters": [_PARAM_CONV],
            "get": _op("getConversation", "Retrieve a conversation", conversation, _ID_ERRORS),
            "post": _op(
                "updateConversation",
                "Replace a conversation's metadata",
                conversation,
                (*_ID_ERRORS, 413),
                requestBody=_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["metadata"],
                        "properties": {"metadata": _ref("Metadata")},
                    }
                ),
            ),
            "delete": _op(
                "deleteConversation",
                "Delete a conversation (its data keys are destroyed)",
                _json(_ref("ConversationDeleted"), "Deleted"),
                _ID_ERRORS,
            ),
        },
        "/v1/conversations/{conversation_id}/items": {
            "parameters": [_PARAM_CONV],
            "post": _op(
                "createConversationItems",
                "Append up to 20 items",
                _json(_ref("ItemList"), "The items created"),
                (*_ID_ERRORS, 413),
                parameters=[_PARAM_INCLUDE],
                requestBody=_body(
                    {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["items"],
                        "properties": {"items": {**items, "minItems": 1}},
                    }
                ),
            ),
            "get": _op(
                "listConversationItems",
                "List items, newest first by default",
                _json(_ref("ItemList"), "A page of items"),
                _ID_ERRORS,
                parameters=[
                    {
                        "name": "after",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "pattern": ID_PATTERN},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                    },
                    {
                        "name": "order",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
                    },
                    _PARAM_INCLUDE,
                ],
            ),
        },
        "/v1/conversations/{conversation_id}/items/{item_id}": {
            "parameters": [_PARAM_CONV, _PARAM_ITEM],
            "get": _op(
                "getConversationItem",
                "Retrieve one item",
                _json(_ref("Item"), "The item"),
                _ID_ERRORS,
                parameters=[_PARAM_INCLUDE],
            ),
            "delete": _op(
                "deleteConversationItem",
                "Delete one item; returns the conversation",
                conversation,
                _ID_ERRORS,
            ),
        },
    }


def _service_paths() -> dict[str, Any]:
    oauth_errors = {
        code: _json(_ref("OAuthError"), text)
        for code, text in (
            ("400", "RFC 6749 §5.2 error"),
            ("401", "invalid_client"),
            ("413", "Too large"),
        )
    }
    oauth_errors["429"] = _json(_ref("OAuthError"), "Too many attempts")
    oauth_errors["503"] = _json(_ref("OAuthError"), "Unavailable")
    public: list[dict[str, Any]] = []
    return {
        "/oauth/token": {
            "post": {
                "operationId": "oauthToken",
                "summary": "OAuth 2.0 client credentials grant (RFC 6749 §4.4)",
                "tags": ["Auth"],
                "security": [{"clientBasic": []}, {}],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/x-www-form-urlencoded": {
                            "schema": {
                                "type": "object",
                                "required": ["grant_type"],
                                "properties": {
                                    "grant_type": {
                                        "type": "string",
                                        "enum": ["client_credentials"],
                                    },
                                    "client_id": {"type": "string"},
                                    "client_secret": {"type": "string"},
                                    "scope": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json(_ref("TokenResponse"), "An access token"),
                    **oauth_errors,
                },
            }
        },
        "/.well-known/jwks.json": {
            "get": {
                "operationId": "jwks",
                "summary": "Public keys of ChatSeal's tokens (current and previous)",
                "tags": ["Auth"],
                "security": public,
                "responses": {"200": _json(_ref("JWKS"), "A JWK Set"), **_errors(503)},
            }
        },
        "/healthz": {
            "get": {
                "operationId": "healthz",
                "summary": "Liveness",
                "tags": ["Operations"],
                "security": public,
                "responses": {"200": _json(_ref("Status"), "Alive")},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "readyz",
                "summary": "Readiness: store, keys and signing key reachable",
                "tags": ["Operations"],
                "security": public,
                "responses": {
                    "200": _json(_ref("Status"), "Ready"),
                    "503": _json(_ref("Status"), "Not ready"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "tags": ["Operations"],
                "security": public,
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1")},
            }
        },
    }


def _audit_schemas() -> dict[str, Any]:
    b64 = {"type": "string", "contentEncoding": "base64"}
    count = {"type": "integer", "minimum": 0}
    return {
        "AuditProof": {
            "type": "object",
            "properties": {
                "index": count,
                "tree_size": count,
                "first": count,
                "second": count,
                "hashes": {"type": "array", "items": b64},
            },
            "required": ["hashes"],
        },
        "AuditEntries": {
            "type": "object",
            "required": ["start", "end", "entries"],
            "properties": {
                "start": count,
                "end": count,
                "entries": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["index", "leaf_hash"],
                        "properties": {"index": count, "leaf_hash": b64, "data": b64},
                    },
                },
            },
        },
    }


def _audit_paths() -> dict[str, Any]:
    text = {"description": "C2SP text", "content": {"text/plain": {"schema": {"type": "string"}}}}
    index = {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}
    proof = _ref("AuditProof")

    def query(*names: str) -> list[dict[str, Any]]:
        return [{"name": n, "in": "query", "required": True, "schema": index} for n in names]

    def op(op_id: str, summary: str, ok: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "get": {
                "operationId": op_id,
                "summary": summary,
                "tags": ["Audit"],
                "responses": {"200": ok, **_errors(400, 401, 403, 404, 429, 500, 503)},
                **extra,
            }
        }

    return {
        "/v1/audit/checkpoint": op(
            "auditCheckpoint", "The newest signed checkpoint (C2SP tlog-checkpoint)", text
        ),
        "/v1/audit/vkey": op("auditVkey", "The checkpoint verifier key (C2SP vkey)", text),
        "/v1/audit/proof/inclusion": op(
            "auditInclusionProof",
            "RFC 9162 §2.1.3 inclusion proof",
            _json(proof, "base64 hashes"),
            parameters=query("index", "tree_size"),
        ),
        "/v1/audit/proof/consistency": op(
            "auditConsistencyProof",
            "RFC 9162 §2.1.4 consistency proof",
            _json(proof, "base64 hashes"),
            parameters=query("first", "second"),
        ),
        "/v1/audit/entries": op(
            "auditEntries",
            "Leaves [start, end): data of the caller's tenant, leaf hashes of the rest",
            _json(_ref("AuditEntries"), "Entries"),
            parameters=query("start", "end"),
        ),
        "/v1/audit/receipt/{index}": op(
            "auditReceipt",
            "A C2SP tlog-proof receipt for one leaf",
            text,
            parameters=[{"name": "index", "in": "path", "required": True, "schema": index}],
        ),
    }


def openapi_spec() -> dict[str, Any]:
    """The whole document."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ChatSeal",
            "version": __version__,
            "description": "The OpenAI Conversations API, sealed under per-tenant keys.",
        },
        "servers": [{"url": "/"}],
        # A bearer token, or (when served with --client-ca) a client certificate mapped by config.
        "security": [{"bearerAuth": []}, {"mutualTLS": []}],
        "paths": {**_conversation_paths(), **_audit_paths(), **_service_paths()},
        "components": {
            "schemas": {**schemas(), **_audit_schemas()},
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
                "clientBasic": {"type": "http", "scheme": "basic"},
                "mutualTLS": {
                    "type": "mutualTLS",
                    "description": "Client certificate, [mtls.subjects]",
                },
                "oauth2": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "/oauth/token", "scopes": {}}},
                },
            },
        },
    }
