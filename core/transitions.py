"""The one state-transition kernel (docs/STYLE.md "State").

Every status field of the product moves here and nowhere else: `transition()` checks the model's
allowed-transitions table, lets the model keep the fields that follow its status, saves with
`update_fields` and writes the timeline event, all in the caller's transaction (the caller holds the row
lock). A move the table does not allow raises `ApplicationError(CommonError.INVALID_TRANSITION)` — or the
caller's own code where the API contract names one (a ticket answers `ticket_not_actionable`).

A model takes part by declaring:
- `TRANSITIONS`: `{status: frozenset(next statuses)}`;
- a reverse relation `events` to its `core.models.DomainEvent` subclass;
- optionally `on_transition(self, old, new) -> tuple[str, ...]`: sets the fields that follow the status
  (a payout's `counted`, a ticket's `version` and clock) and names them for `update_fields`.
"""

from collections.abc import Mapping
from typing import Any

from django.db import models

from .clock import now
from .errors import ApplicationError, CommonError, ErrorCode


def transition_allowed(obj: models.Model, to: str, *, table: Mapping | None = None) -> bool:
    table = table if table is not None else type(obj).TRANSITIONS
    return to in table.get(obj.status, ())


def transition(obj: models.Model, to: str, *, actor: Any, event: str, fields: tuple[str, ...] = (),
               error: ErrorCode | None = None, table: Mapping | None = None, at=None, **params) -> models.Model:
    """Move `obj` (locked by the caller) to `to`, save it and write its timeline event `event` with `params`.

    `fields` are the other fields the caller changed and wants saved with the status.
    """
    if not transition_allowed(obj, to, table=table):
        raise ApplicationError(error or CommonError.INVALID_TRANSITION,
                               extra={"from": obj.status, "to": to} if error is None else {})
    old = obj.status
    obj.status = to
    follow = obj.on_transition(old, to) if hasattr(obj, "on_transition") else ()
    obj.save(update_fields=list(dict.fromkeys(("status", *follow, *fields))))
    obj.events.create(type=event, actor=actor, at=at or now(), params=params)
    return obj


def event_add(obj: models.Model, *, type: str, actor: Any = None, at=None, **params):
    """A timeline event without a status change (a card sent, a callback recorded and ignored)."""
    return obj.events.create(type=type, actor=actor, at=at or now(), params=params)
