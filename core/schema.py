"""The OpenAPI schema says what the server really answers (issue 13 "a schema the server keeps").

A drf-spectacular postprocessing hook, so no view has to repeat it:
- every operation documents the error answers the API's one error shape can take (400 invalid with
  `fields`, 401, 403, 404, 409 and 422 business refusals, 429 throttled; 413 and 415 where a body is sent);
- a list answered by the API's page-number pagination is described as the page object it is
  (`count`, `next`, `previous`, `results`), not a bare array;
- an operation with a `format` query parameter (`?format=csv`) documents its `text/csv` answer;
- an optional query filter sent empty (`?status=`) means "not given", as DRF reads query strings, so the
  schema says so (`allowEmptyValue`) instead of promising a `minLength` the server does not enforce.

And what the server accepts, so that a request the schema allows is never refused as malformed and one it
forbids never succeeds (issue 22 item 2b; checked by schemathesis with all its checks, tests/api):
amounts (`money_schema`), text that may be a JSON integer, DRF's boolean words, the `Idempotency-Key`'s
shape, empty optional query parameters, rules across fields (`CROSS_FIELD`), required bodies, JSON as the
documented body, and request components split from answers (non-blank text) under their plain names.
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
    accepted_input(result)
    return result


# --- What the server accepts, said in the schema (issue 22 item 2b) -------------------------------------------

def money_schema(*, min_value=None, max_value=None, nullable: bool = False) -> dict:
    """An amount as core.money.parse_money reads it (SEC-05): a decimal string — ASCII digits, at most 12
    before the point and 2 after, an optional sign and surrounding spaces — or a JSON number with at most two
    places. `min_value` 0.01 or 0 narrows both."""
    from decimal import Decimal

    if min_value is not None and Decimal(min_value) > 0:
        pattern = (r"^[ \t]*\+?([1-9][0-9]{0,11}(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?)|"
                   r"[1-9][0-9]{0,11}\.0{1,2})[ \t]*$")
    elif min_value is not None:
        pattern = r"^[ \t]*\+?[0-9]{1,12}(\.[0-9]{1,2})?[ \t]*$"
    else:
        pattern = r"^[ \t]*[+-]?[0-9]{1,12}(\.[0-9]{1,2})?[ \t]*$"
    number = {"type": "number", "multipleOf": 0.01, "maximum": float(max_value or Decimal("999999999999.99")),
              "minimum": float(min_value) if min_value is not None else -999999999999.99}
    schema = {"anyOf": [{"type": "string", "pattern": pattern, "example": "12.50"}, number],
              "description": 'An amount: "12.50" (a decimal string, at most two places) or 12.5.'}
    if nullable:
        schema["nullable"] = True
    return schema


def money_query_schema() -> dict:
    """An amount in a query string: the decimal-string form only (a query parameter is text)."""
    return money_schema()["anyOf"][0]


try:  # the money field's schema (drf-spectacular)
    from drf_spectacular.extensions import OpenApiSerializerFieldExtension

    class MoneyFieldSchema(OpenApiSerializerFieldExtension):
        target_class = "core.fields.MoneyField"

        def map_serializer_field(self, auto_schema, direction):
            field = self.target
            if direction == "response":
                return {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$", "example": "12.50"}
            return money_schema(min_value=field.min_value, max_value=field.max_value,
                                nullable=bool(getattr(field, "allow_null", False)))

    class CharFieldSchema(OpenApiSerializerFieldExtension):
        """Text in a request body: DRF's CharField also takes a JSON integer (as its digits), so the schema
        says so — an integer short enough for the field's length."""

        target_class = "rest_framework.fields.CharField"

        def map_serializer_field(self, auto_schema, direction):
            schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
            if direction == "response":
                return schema
            # The length validators are written onto string schemas only: give them to the string branch.
            if self.target.max_length is not None:
                schema["maxLength"] = self.target.max_length
            if self.target.min_length is not None:
                schema["minLength"] = self.target.min_length
            digits = min(int(getattr(self.target, "max_length", None) or 18), 18) - 1
            if digits < 1:
                return schema
            bound = 10 ** digits - 1
            return {"anyOf": [schema, {"type": "integer", "minimum": -bound // 10, "maximum": bound}]}

    class BooleanFieldSchema(OpenApiSerializerFieldExtension):
        """A boolean in a request body: DRF also reads "true", 1, "off"…, so the schema says so."""

        target_class = "rest_framework.fields.BooleanField"

        def map_serializer_field(self, auto_schema, direction):
            from rest_framework.fields import BooleanField

            if direction == "response":
                return {"type": "boolean"}
            words = sorted((v for v in BooleanField.TRUE_VALUES | BooleanField.FALSE_VALUES
                            if not isinstance(v, bool)), key=str)
            return {"anyOf": [{"type": "boolean"}, {"enum": words}]}
except ImportError:  # pragma: no cover
    pass


def _idempotency_header(parameter: dict) -> None:
    from .idempotency import MAX_LENGTH, PATTERN

    parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": MAX_LENGTH, "pattern": PATTERN}
    parameter.setdefault("description", "")
    parameter["description"] = ("1 to 255 visible ASCII characters: the same key and body answer the first response "
                                "again; another body → 409. Optional: without it the request still runs once.")


def _empty_means_absent(parameter: dict) -> None:
    """An optional query parameter sent empty (`?created_to=`) is read as not given (DRF's query strings):
    the schema admits the empty string besides the typed value."""
    schema = parameter.get("schema", {})
    if schema.get("type") == "string" and not ({"format", "pattern", "enum", "minLength"} & set(schema)):
        return
    parameter["schema"] = {"anyOf": [schema, {"type": "string", "enum": [""]}]}
    parameter["allowEmptyValue"] = True


def _request_component_names(result: dict) -> None:
    """COMPONENT_SPLIT_REQUEST names request bodies `<Name>Request`; a name used by requests only keeps its
    plain name (clients generated from the schema keep theirs)."""
    schemas = result.get("components", {}).get("schemas", {})
    renames = {name: name[: -len("Request")] for name in list(schemas)
               if name.endswith("Request") and name[: -len("Request")] not in schemas}
    if not renames:
        return
    for old, new in renames.items():
        schemas[new] = schemas.pop(old)

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name in renames:
                    node["$ref"] = f"#/components/schemas/{renames[name]}"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)


# Rules across fields of one body, which the serializers check (400 `invalid`) and OpenAPI can only say as an
# `anyOf` of the allowed combinations: component → branches (issue 22 item 2b).
_SCAN_NEEDS_CHANNEL = [
    {"properties": {"pay_method": {"enum": ["balance"]}}},
    {"required": ["scan_channel"], "properties": {"scan_channel": {"enum": ["wechat", "alipay"]}}},
]
CROSS_FIELD = {
    "PayoutInput": _SCAN_NEEDS_CHANNEL,
    "RequestInput": _SCAN_NEEDS_CHANNEL,
    "PayoutRequestApproveInput": _SCAN_NEEDS_CHANNEL,
    # AS: a refund names its amount.
    "TicketListInput": [
        {"properties": {"type": {"enum": ["exchange", "reship"]}}},
        {"required": ["amount"], "properties": {"amount": {"not": {"enum": [None]}}}},
    ],
    # PAY-C02: a bank card is 12 to 19 digits (spaces between them allowed); an Alipay account has no space.
    "PayoutCardSubmitInput": [
        {"properties": {"channel": {"enum": ["bank_card"]},
                        "account": {"anyOf": [{"type": "string", "pattern": r"^\s*( *[0-9]){12,19} *\s*$"},
                                              {"type": "integer", "minimum": 10 ** 11, "maximum": 10 ** 17 - 1}]}}},
        {"properties": {"channel": {"enum": ["alipay"]}, "account": {"pattern": r"^\s*[^\s]+\s*$"}}},
    ],
}


# PATCH bodies are documented as partial; these PATCHes need their one field all the same.
PATCH_REQUIRED = {"PatchedContractPriceInput": ["agreed_price"]}


def _cross_field_rules(result: dict) -> None:
    schemas = result.get("components", {}).get("schemas", {})
    for name, required in PATCH_REQUIRED.items():
        if name in schemas:
            schemas[name]["required"] = required
    for name, branches in CROSS_FIELD.items():
        if name in schemas:
            schemas[name]["anyOf"] = branches


def accepted_input(result: dict) -> None:
    """The hints every operation shares: the Idempotency-Key's shape, empty optional query parameters, and
    JSON as the documented request body (the API reads forms too, but clients send JSON)."""
    _request_component_names(result)
    _cross_field_rules(result)
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "header" and parameter.get("name") == "Idempotency-Key":
                    _idempotency_header(parameter)
                elif parameter.get("in") == "query" and not parameter.get("required"):
                    _empty_means_absent(parameter)
            content = operation.get("requestBody", {}).get("content")
            ref = (content or {}).get("application/json", {}).get("schema", {}).get("$ref", "")
            if ref and result["components"]["schemas"].get(ref.rsplit("/", 1)[1], {}).get("required"):
                operation["requestBody"]["required"] = True  # a body with required fields is itself required
            if content and "application/json" in content:
                for media in [m for m in content if m != "application/json"]:
                    del content[media]
