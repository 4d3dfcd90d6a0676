"""The OpenAPI document completed with what every operation can answer (a drf-spectacular postprocessing hook).

The views declare what is theirs (a 409 conflict, the body of a 200). What every operation shares is
added here once, so that no operation documents fewer answers than it gives: 400 in the README's
shape (a NUL byte in a path or query reaches every operation), 401 and 403 where a token is needed,
404 where the path names an object, 413 and 415 where a body is sent, 503 when the database is lost.
The batch endpoints take one object or a list of them, which DRF's serializers cannot express.
"""

from __future__ import annotations

from typing import Any

from campaigns.api import MAX_BATCH

DETAIL = {"$ref": "#/components/schemas/Detail"}
ERROR = {"$ref": "#/components/schemas/Error"}

COMPONENTS: dict[str, Any] = {
    "Detail": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
        "description": "Why the request was not served.",
    },
    "Error": {
        "type": "object",
        "properties": {
            "detail": {"type": "string"},
            "errors": {"type": "array", "maxItems": 100, "items": {"$ref": "#/components/schemas/ErrorItem"}},
        },
        "required": ["detail", "errors"],
        "description": "A refused request: nothing was changed. At most 100 errors are listed; the detail "
        "says how many there were when there were more.",
    },
    "ErrorItem": {
        "type": "object",
        "properties": {
            "field": {
                "type": "string",
                "description": "The field (``a.0.b`` inside lists and objects), "
                "``body`` for an unreadable body, ``path`` / ``query`` for the request line.",
            },
            "message": {"type": "string"},
            "index": {"type": "integer", "description": "In a batch: the item's position."},
        },
        "required": ["field", "message"],
    },
}

# Status → (description, body) added to an operation that does not declare it already.
_SHARED = {
    "400": ("Invalid request; nothing was changed.", ERROR),
    "503": ("The database cannot be reached; try again later.", DETAIL),
}
_AUTHENTICATED = {
    "401": ("No valid token.", DETAIL),
    "403": ("The token's role may not do this.", DETAIL),
}
_WITH_BODY = {
    "413": ("The body is over the endpoint's size limit (README, Limits).", DETAIL),
    "415": ("The body is not JSON.", DETAIL),
}
_WITH_PATH_OBJECT = {"404": ("No such object.", DETAIL)}
# The request bodies that are one object or a list of at most MAX_BATCH of them.
_BATCHES = {
    ("/api/v1/contacts/", "post"),
    ("/api/v1/dnc/", "post"),
    ("/api/v1/voice-connector/agent-states/", "post"),
}


def complete_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS entry: add the shared answers, error bodies and one-or-many batch bodies."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(COMPONENTS)
    if "AgentUpdate" in schemas:  # a rule between fields that a serializer cannot declare
        schemas["AgentUpdate"]["anyOf"] = [
            {"required": [name]} for name in ("disposition", "callback_time", "activity")
        ]
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            _complete(operation, path, method)
    return result


def _complete(operation: dict[str, Any], path: str, method: str) -> None:
    responses = operation.setdefault("responses", {})
    answers = dict(_SHARED)
    if operation.get("security"):
        answers |= _AUTHENTICATED
    if "requestBody" in operation:
        answers |= _WITH_BODY
    if "{" in path:
        answers |= _WITH_PATH_OBJECT
    for code, (description, _) in answers.items():
        responses.setdefault(code, {"description": description})
    for code, response in responses.items():
        if code >= "400" and not response.get("content"):
            body = ERROR if code == "400" else DETAIL
            response["content"] = {"application/json": {"schema": body}}
            response["description"] = response.get("description") or answers.get(code, ("", body))[0]
    if (path, method) in _BATCHES:
        _one_or_many(operation)


def _one_or_many(operation: dict[str, Any]) -> None:
    content = operation["requestBody"]["content"]["application/json"]
    item = content["schema"].get("items", content["schema"])
    content["schema"] = {
        "oneOf": [item, {"type": "array", "items": item, "minItems": 1, "maxItems": MAX_BATCH}],
        "description": f"One object, or a list of 1 to {MAX_BATCH:,}; a list is stored all or nothing.",
    }
