"""`{% chart_scripts %}` (in a page's head) and `{% chart "id" spec %}`: an Apache ECharts chart drawn by
workbench/charts.js from a JSON data block, so the page has no inline script (CSP). Every chart is shown
with a table or a CSV link of the same numbers beside it."""

from django import template
from django.templatetags.static import static
from django.utils.html import format_html, json_script

register = template.Library()


@register.simple_tag
def chart_scripts() -> str:
    return format_html('<script src="{}" defer></script><script src="{}" defer></script>'
                       '<script src="{}" defer></script>', static("workbench/echarts/echarts.min.js"),
                       static("workbench/echarts/langZH.js"), static("workbench/charts.js"))


@register.simple_tag
def chart(chart_id: str, spec: dict, height: str = "300px", label: str = "") -> str:
    """A chart container and its data; `spec` as workbench/charts.js reads it."""
    data_id = f"{chart_id}-data"
    return format_html('<div class="wb-chart" id="{}" data-spec="{}" data-testid="{}" role="img" aria-label="{}" '
                       'style="width:100%;height:{}"></div>{}', chart_id, data_id, chart_id, label, height,
                       json_script(spec, data_id))
