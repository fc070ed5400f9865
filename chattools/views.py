"""The reference chat sidebar (`/sidebar/`): a static page whose script uses only the public REST API with
the operator's token — proof that the API is enough for a chat tool (飞鸽 embeds a page like it, 360 px)."""

from django.views.decorators.http import require_GET
from django.views.generic import TemplateView

sidebar = require_GET(TemplateView.as_view(template_name="chattools/sidebar.html"))
