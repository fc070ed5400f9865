"""Coded errors raised by services and turned into the API's error shape by one handler.

Every business refusal carries a stable code, a Chinese and an English message and, where one
applies, the SPEC rule ID. Apps declare their codes with `ErrorCode(...)` next to their services.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ErrorCode:
    code: str
    message: str  # Chinese, as the platforms' pages say it
    message_en: str
    rule: str = ""
    status: int = 422


@dataclass
class ApplicationError(Exception):
    error: ErrorCode
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.error.code)

    @property
    def code(self) -> str:
        return self.error.code

    @property
    def message(self) -> str:
        return self.error.message.format(**self.params)

    @property
    def message_en(self) -> str:
        return self.error.message_en.format(**self.params)

    def text(self) -> str:
        """The refusal as a page in the current language shows it: the one admin error renderer. Rule IDs stay
        in the API's `rule` field and the docs, never in what merchants read (SEC-06)."""
        from django.utils import translation

        return self.message if (translation.get_language() or "zh-hans").startswith("zh") else self.message_en

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message, "message_en": self.message_en}
        if self.error.rule:
            body["rule"] = self.error.rule
        body.update(self.extra)
        return body


class CommonError:
    NOT_FOUND = ErrorCode("not_found", "对象不存在", "Not found.", status=404)
    PERMISSION_DENIED = ErrorCode("permission_denied", "无权执行此操作", "You may not do this.", status=403)
    NOT_AUTHENTICATED = ErrorCode("not_authenticated", "请先登录", "Authentication required.", status=401)
    INVALID = ErrorCode("invalid", "输入有误", "Invalid input.", status=400)
    METHOD_NOT_ALLOWED = ErrorCode("method_not_allowed", "不支持该请求方法", "Method not allowed.", status=405)
    THROTTLED = ErrorCode("throttled", "请求过于频繁", "Too many requests.", status=429)
    UNSUPPORTED_MEDIA = ErrorCode("unsupported_media_type", "不支持的内容类型", "Unsupported media type.", status=415)
    NOT_ACCEPTABLE = ErrorCode("not_acceptable", "无法提供所请求的格式", "Not acceptable.", status=406)
    PAYLOAD_TOO_LARGE = ErrorCode("payload_too_large", "请求内容过大", "The request body is too large.", status=413)
    INVALID_TRANSITION = ErrorCode("invalid_transition", "当前状态不允许此操作", "Not allowed in the current state.",
                                   status=409)
