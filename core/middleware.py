from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Chinese unless the user chose another language with the admin's switch (the language cookie).

    Django's own middleware follows the browser's Accept-Language, which would show English to a
    merchant whose browser happens to be set to English; the product speaks Chinese by default (SPEC §9).
    """

    def process_request(self, request) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        try:
            language = translation.get_supported_language_variant(chosen) if chosen else settings.LANGUAGE_CODE
        except LookupError:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RefuseUnsafeTextMiddleware:
    """SEC-04 (issue 22 item 2): a NUL character or a lone surrogate in the path, the query string or a header
    answers 400 `invalid` (the API's error shape under /api/, a plain 400 elsewhere), before anything reads it.
    JSON bodies are checked by the parser (core.parsers), which sees their escapes decoded; form bodies by
    Django's and DRF's fields, which refuse NUL (a form cannot carry a lone surrogate)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from .text import REASON, is_unsafe, unsafe_places

        fields: dict[str, list[str]] = {}
        if is_unsafe(request.path) or is_unsafe(request.path_info):
            fields["path"] = [REASON]
        if is_unsafe(request.META.get("QUERY_STRING", "")):
            fields["query"] = [REASON]
        else:
            for place in unsafe_places({k: request.GET.getlist(k) for k in request.GET}):
                fields[f"query.{place.split('.')[0]}"] = [REASON]
        for name, value in request.META.items():
            if (name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH")) and isinstance(value, str) \
                    and (is_unsafe(value) or is_unsafe(name)):
                fields[f"header.{name.removeprefix('HTTP_').replace('_', '-').title()}"] = [REASON]
        if not fields:
            return self.get_response(request)
        from django.http import HttpResponseBadRequest, JsonResponse

        from .errors import ApplicationError, CommonError
        from .text import json_safe

        if request.path_info.startswith("/api/"):
            body = {**ApplicationError(CommonError.INVALID).as_dict(), "fields": json_safe(fields)}
            return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        return HttpResponseBadRequest(REASON, content_type="text/plain; charset=utf-8")
