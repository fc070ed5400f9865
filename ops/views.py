"""/healthz, /readyz and /metrics (API.md "Operations"): no sign-in, no session, no secret in any answer."""

import hmac
import ipaddress

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST

from core.errors import ApplicationError, CommonError

from . import metrics, readiness


@never_cache
@require_safe
def healthz(request):
    """OPS-01: 200 while the process serves; touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request):
    """OPS-01, OPS-05: database, migrations, cache and broker, each named with its time; the clocks."""
    status, body = readiness.readiness()
    return JsonResponse(body, status=status)


def metrics_allowed(request) -> bool:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip().encode(), token.encode()):
        return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    for network in settings.METRICS_ALLOWED_NETWORKS:
        try:
            if address in ipaddress.ip_network(network, strict=False):
                return True
        except ValueError:
            continue
    return False


@never_cache
@require_safe
def metrics_view(request):
    """OPS-02: Prometheus text to the metrics token (or an allowed network); 401 to anyone else."""
    if not metrics_allowed(request):
        response = JsonResponse(ApplicationError(CommonError.NOT_AUTHENTICATED).as_dict(), status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.render(), content_type=CONTENT_TYPE_LATEST)
