from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from chattools.views import sidebar

admin.site.site_header = admin.site.site_title = settings.ADMIN_SITE_HEADER
admin.site.index_title = settings.ADMIN_INDEX_TITLE
admin.site.site_url = None  # the admin is the whole site: no "view site" link
import config.admin_menu  # noqa: E402,F401  the left menu by task

api_v1 = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-v1:schema"), name="docs"),
    path("", include("accounts.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("payouts.api.urls")),
    path("", include("logistics.api.urls")),
    path("", include("aftersales.api.urls")),
    path("", include("payouts.rails.urls")),
    path("", include("chattools.urls")),
    path("", include("notifications.urls")),
    path("", include("workbench.urls")),
]

urlpatterns = [
    path("", include("ops.urls")),  # /healthz, /readyz, /metrics (OPS-01, OPS-02)
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/workbench/", include("workbench.admin_urls")),
    path("admin/platforms/", include("platforms.exports_import.urls")),  # 导入订单导出文件 (CON-08)
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api-v1"))),
    path("platforms/", include("platforms.urls")),  # authorization round trip, Douyin's push (CON-01, CON-05)
    path("sidebar/", sidebar, name="chat-sidebar"),  # the reference chat sidebar (chat tools)
]

handler400 = "core.api.api_error_400"
handler403 = "core.api.api_error_403"
handler404 = "core.api.api_error_404"
handler500 = "core.api.api_error_500"
