from . import views


class ProbeMiddleware:
    """Answers /healthz and /readyz before the host check and the HTTPS redirect (OPS-01): a load balancer
    probes a node by its address, over plain HTTP, and must get the answer, not a 400 or a 301."""

    PROBES = {"/healthz": views.healthz, "/readyz": views.readyz}

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        probe = self.PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
