"""The API's one exception handler: every error leaves as {code, message, message_en, rule?}."""

from typing import Any

from django.core.exceptions import PermissionDenied
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
    if isinstance(exc, ApplicationError):
        return Response(exc.as_dict(), status=exc.error.status)
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
