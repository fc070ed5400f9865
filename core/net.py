"""The client's address, as the deployment's trusted proxies report it (SEC-01, SEC-03).

`settings.TRUSTED_PROXY_COUNT` (environment `TRUSTED_PROXY_COUNT`, default 0) is how many reverse proxies of
our own stand between the client and Django, each appending the address it saw to `X-Forwarded-For`
(docs/DEPLOY.md). With 0 the address is the socket's (`REMOTE_ADDR`) and the header is ignored; with N the
address is the N-th entry from the right of the header — the one our outermost proxy saw. Anything left of
it was written by the client and never counts. A header too short for N proxies, or an entry that is not an
IP address, means the request did not come through them: the socket's address is used.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The address failed sign-ins and failed API authentications are counted against."""
    meta = getattr(request, "META", request)
    remote = meta.get("REMOTE_ADDR", "") or ""
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    entries = [e.strip() for e in (meta.get("HTTP_X_FORWARDED_FOR", "") or "").split(",") if e.strip()]
    if len(entries) < count:
        return remote
    candidate = entries[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
