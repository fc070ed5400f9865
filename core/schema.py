"""The OpenAPI schema says what the server really answers (issue 13 "a schema the server keeps").

A drf-spectacular postprocessing hook, so no view has to repeat it:
- every operation documents the error answers the API's one error shape can take (400 invalid with
  `fields`, 401, 403, 404, 409 and 422 business refusals, 429 throttled; 413 and 415 where a body is sent);
- a list answered by the API's page-number pagination is described as the page object it is
  (`count`, `next`, `previous`, `results`), not a bare array;
- an operation with a `format` query parameter (`?format=csv`) documents its `text/csv` answer;
- an optional query filter sent empty (`?status=`) means "not given", as DRF reads query strings, so the
  schema says so (`allowEmptyValue`) instead of promising a `minLength` the server does not enforce.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": "The API's error shape: a stable code, the message in Chinese and English, the rule ID "
                   "where one applies, and the invalid fields for 400 `invalid`.",
    "properties": {
        "code": {"type": "string"},
        "message": {"type": "string"},
        "message_en": {"type": "string"},
        "rule": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": True},
    },
    "required": ["code", "message", "message_en"],
    "additionalProperties": True,
}
ERRORS = {
    "400": "Malformed input (`invalid`, with `fields`).",
    "401": "No token, or an unknown, revoked or expired one (`not_authenticated`).",
    "403": "The caller's role may not do this (`permission_denied`, or the rule's own code).",
    "404": "No such object, or one of another shop (`not_found`).",
    "409": "The object's state or an Idempotency-Key forbids it now.",
    "422": "A business rule refuses it (the code names the rule).",
    "429": "Too many requests (`throttled`), or a rule's frequency limit.",
}
BODY_ERRORS = {
    "413": "The request body is over the upload limit (`payload_too_large`).",
    "415": "The body's content type is not JSON, form or multipart (`unsupported_media_type`).",
}
PAGE_PARAMETERS = {"page"}


def page_parameter():
    """`?page=` of a list answered by the page-number pagination (declare it on the list's extend_schema)."""
    from drf_spectacular.utils import OpenApiParameter

    from .pagination import MAX_PAGE

    return OpenApiParameter("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, required=False,
                            description="Page number (50 rows a page); past the last page: 404.")


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}


def _paginated(items: dict) -> dict:
    from .pagination import KeysetPagination

    return KeysetPagination().get_paginated_response_schema(items)


def postprocess(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            responses = operation.setdefault("responses", {})
            for status, description in ERRORS.items():
                responses.setdefault(status, _error_response(description))
            if "requestBody" in operation:
                for status, description in BODY_ERRORS.items():
                    responses.setdefault(status, _error_response(description))
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and not parameter.get("required") \
                        and parameter.get("schema", {}).pop("minLength", None) is not None:
                    parameter["allowEmptyValue"] = True
                    parameter["description"] = (parameter.get("description", "") + " Empty means not given.").strip()
            names = {p.get("name") for p in operation.get("parameters", []) if p.get("in") == "query"}
            ok = responses.get("200", {}).get("content", {}).get("application/json")
            if ok and names & PAGE_PARAMETERS and ok.get("schema", {}).get("type") == "array":
                ok["schema"] = _paginated(ok["schema"])
            if ok and "format" in names:
                responses["200"]["content"]["text/csv"] = {"schema": {"type": "string"}}
    return result
