from django import template

from ..home import workbench_context

register = template.Library()


@register.simple_tag(takes_context=True)
def workbench_home(context) -> dict:
    """The home page's to-do counts, money and charts for the signed-in role (RPT-06)."""
    return workbench_context(context["request"])
