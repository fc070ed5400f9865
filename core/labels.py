"""The one label registry: how every timeline event, its parameters and their coded values read, in Chinese
(the catalogs) or English (the source strings).

Each app declares its event types as a `TextChoices` enum beside its models (labels included) and registers
them, with the labels of its parameters and coded values, in its `AppConfig.ready()`:

    labels.register_events("payout", PayoutEventType)
    labels.register_params(amount=_("amount"), pay_method=_("pay method"))
    labels.register_values("pay_method", PayMethod.choices)

`timeline(events, subject)` turns event rows into what the one timeline template
(`admin/core/timeline.html`) shows: label, actor, Asia/Shanghai time, details as words — never raw JSON,
codes or English keys.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

_EVENTS: dict[str, dict[str, Any]] = {}
_PARAMS: dict[str, Any] = {}
_VALUES: dict[str, dict[str, Any]] = {}
_ANY_VALUE: dict[str, Any] = {"True": _("yes"), "False": _("no")}
_SUBJECT_PARAMS: dict[str, dict[str, Any]] = {}
_SUBJECT_VALUES: dict[tuple[str, str], dict[str, Any]] = {}
_TIMES: set[str] = set()
_HIDDEN: set[str] = set()


def _pairs(labels) -> dict[str, Any]:
    if isinstance(labels, Mapping):
        return {str(k): v for k, v in labels.items()}
    if hasattr(labels, "choices"):
        labels = labels.choices
    return {str(k): v for k, v in labels}


def register_events(subject: str, types) -> None:
    """`types`: a TextChoices enum (or choices pairs) of one subject's event types (`payout`, `ticket`, …)."""
    _EVENTS.setdefault(subject, {}).update(_pairs(types))


def register_params(**labels) -> None:
    _PARAMS.update(labels)


def register_values(param: str | None, labels) -> None:
    """Labels of a parameter's coded values; `param=None` for values read the same under any parameter."""
    (_ANY_VALUE if param is None else _VALUES.setdefault(param, {})).update(_pairs(labels))


def register_subject_params(subject: str, **labels) -> None:
    """Parameter labels that hold for one subject's timeline only (a payout's `reason` is its failure reason)."""
    _SUBJECT_PARAMS.setdefault(subject, {}).update(labels)


def register_subject_values(subject: str, param: str, labels) -> None:
    """Value labels of a parameter on one subject's timeline only (a payout's `status` values)."""
    _SUBJECT_VALUES.setdefault((subject, param), {}).update(_pairs(labels))


def register_times(*params: str) -> None:
    """Parameters holding ISO datetimes: shown in Asia/Shanghai, in the page's date format."""
    _TIMES.update(params)


def register_hidden(*params: str) -> None:
    """Parameters never shown (one-time card tokens)."""
    _HIDDEN.update(params)


def event_types(subject: str) -> dict[str, Any]:
    return dict(_EVENTS.get(subject, {}))


def event_label(subject: str, type: str) -> str:
    return str(_EVENTS.get(subject, {}).get(type, type))


def value_label(param: str, value: Any, subject: str | None = None) -> str:
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        if param in _TIMES and (moment := parse_datetime(value)) is not None:
            return formats.localize(timezone.localtime(moment))
        for labels in (_SUBJECT_VALUES.get((subject, param), {}), _VALUES.get(param, {}), _ANY_VALUE):
            if value in labels:
                return str(labels[value])
    if isinstance(value, list):
        return "、".join(value_label(param, v, subject) for v in value)
    if isinstance(value, Promise):
        return str(value)
    return str(value)


def param_label(param: str, subject: str | None = None) -> str:
    return str(_SUBJECT_PARAMS.get(subject, {}).get(param) or _PARAMS.get(param, param))


def event_details(params: Mapping | None, subject: str | None = None) -> list[tuple[str, str]]:
    """An event's parameters as (label, value) pairs in the page's language; empty values and hidden
    parameters are left out."""
    return [(param_label(key, subject), value_label(key, value, subject)) for key, value in (params or {}).items()
            if key not in _HIDDEN and value not in (None, "", [])]


def event_details_text(params: Mapping | None, subject: str | None = None) -> str:
    return "; ".join(f"{label}: {value}" for label, value in event_details(params, subject))


def timeline(events: Iterable, subject: str) -> list[dict[str, Any]]:
    """Rows for `admin/core/timeline.html`, oldest first as given."""
    return [
        {
            "label": event_label(subject, event.type),
            "actor": str(event.actor) if event.actor_id else _("system"),
            "at": timezone.localtime(event.at),
            "details": event_details(event.params, subject),
        }
        for event in events
    ]


def unregistered(subject: str, types: Iterable[str]) -> set[str]:
    """Event types written but not registered (a test checks none are left)."""
    return set(types) - set(_EVENTS.get(subject, {}))
