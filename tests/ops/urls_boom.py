"""A URLconf with a view that fails holding secrets in its local variables (tests of OPS-04)."""

from django.urls import path


def boom(request):
    card = request.POST.get("card")
    password = request.POST.get("password")
    real_name = request.POST.get("name")
    raise RuntimeError(f"rail refused card {card} for {real_name} (password={password})")


urlpatterns = [path("boom/", boom)]
