"""The API's one exception handler: every error leaves as {code, message, message_en, rule?}."""

from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import ApplicationError, CommonError

_DRF_CODES = {
    exceptions.NotAuthenticated: CommonError.NOT_AUTHENTICATED,
    exceptions.AuthenticationFailed: CommonError.NOT_AUTHENTICATED,
    exceptions.PermissionDenied: CommonError.PERMISSION_DENIED,
    exceptions.NotFound: CommonError.NOT_FOUND,
    exceptions.MethodNotAllowed: CommonError.METHOD_NOT_ALLOWED,
    exceptions.Throttled: CommonError.THROTTLED,
    exceptions.UnsupportedMediaType: CommonError.UNSUPPORTED_MEDIA,
    exceptions.NotAcceptable: CommonError.NOT_ACCEPTABLE,
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    if request is not None and getattr(request, "accepted_renderer", None) is not None \
            and request.accepted_renderer.media_type != "application/json":
        # An error is always the JSON error shape, even where `?format=csv` chose the CSV renderer.
        from rest_framework.renderers import JSONRenderer

        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.error.status)
    if isinstance(exc, RequestDataTooBig):  # SEC-04: the API's shape, not Django's HTML 400
        return Response(ApplicationError(CommonError.PAYLOAD_TOO_LARGE).as_dict(), status=413)
    if isinstance(exc, SuspiciousOperation | UnicodeDecodeError):
        error = ApplicationError(CommonError.INVALID)
        return Response({**error.as_dict(), "fields": {"non_field_errors": ["malformed request"]}}, status=400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        error = ApplicationError(CommonError.INVALID)
        return Response({**error.as_dict(), "fields": detail}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, exceptions.ParseError):
        error = ApplicationError(CommonError.INVALID)
        return Response({**error.as_dict(), "fields": {"non_field_errors": [str(exc.detail)]}}, status=400)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    for exc_class, code in _DRF_CODES.items():
        if isinstance(exc, exc_class):
            response.data = ApplicationError(code).as_dict()
            break
    return response


def api_error_page(request, exception=None, *, error=CommonError.INVALID):
    """Django-level 400/403/404 answers (raised before a view runs, e.g. a body over the upload limit read by
    a middleware): the API's error shape under /api/, Django's pages elsewhere."""
    from django.http import JsonResponse
    from django.views import defaults

    if request.path.startswith("/api/"):
        if isinstance(exception, RequestDataTooBig):
            error = CommonError.PAYLOAD_TOO_LARGE
        return JsonResponse(ApplicationError(error).as_dict(), status=error.status, json_dumps_params={"ensure_ascii": False})
    page = {400: defaults.bad_request, 403: defaults.permission_denied, 404: defaults.page_not_found}[error.status]
    return page(request, exception)


def api_error_400(request, exception=None):
    return api_error_page(request, exception, error=CommonError.INVALID)


def api_error_403(request, exception=None):
    return api_error_page(request, exception, error=CommonError.PERMISSION_DENIED)


def api_error_404(request, exception=None):
    return api_error_page(request, exception, error=CommonError.NOT_FOUND)


def api_error_500(request):
    from django.http import JsonResponse
    from django.views import defaults

    if request.path.startswith("/api/"):
        body = {"code": "server_error", "message": "服务器内部错误", "message_en": "Server error."}
        return JsonResponse(body, status=500, json_dumps_params={"ensure_ascii": False})
    return defaults.server_error(request)
