"""The buyer's signed links (PAY-B01): one link names one payout (or one account card) for one purpose,
carries when it stops serving, and is signed with the project's key under a salt per purpose — a card link
cannot open a confirmation, an altered link does not verify, an old one is refused.

A link's life is what it serves: an account card's own expiry (72 h), the payout's close for the WeChat
identity, the rail's deadline for a confirmation; `BUYER_LINK_MAX_AGE` bounds every link whatever it says.
"""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

from core.clock import now

CARD, IDENTITY, CONFIRM = "card", "identity", "confirm"
KINDS = (CARD, IDENTITY, CONFIRM)
ROUTES = {CARD: "buyerpages:card", IDENTITY: "buyerpages:identity", CONFIRM: "buyerpages:confirm"}


class LinkInvalid(Exception):
    """Altered, of another purpose, or not a link at all."""


class LinkExpired(Exception):
    """Authentic, but past what it serves."""


@dataclass(frozen=True)
class Link:
    kind: str
    payout_id: int
    expires_at: dt.datetime
    card: str = ""  # the account card's token (CARD links)


def _salt(kind: str) -> str:
    return f"buyerpages.link.{kind}"


def sign(kind: str, *, payout_id: int, expires_at: dt.datetime, card: str = "") -> str:
    if kind not in KINDS:
        raise ValueError(kind)
    payload = {"p": payout_id, "e": int(expires_at.timestamp())}
    if card:
        payload["c"] = card
    return signing.dumps(payload, salt=_salt(kind), compress=True)


def read(kind: str, token: str) -> Link:
    """The link's content, or LinkInvalid / LinkExpired. Reading changes nothing."""
    try:
        payload = signing.loads(token, salt=_salt(kind), max_age=settings.BUYER_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise LinkExpired from exc
    except signing.BadSignature as exc:
        raise LinkInvalid from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("p"), int) or not isinstance(payload.get("e"), int):
        raise LinkInvalid
    expires_at = dt.datetime.fromtimestamp(payload["e"], tz=dt.UTC)
    if now() >= expires_at:
        raise LinkExpired
    return Link(kind=kind, payout_id=payload["p"], expires_at=expires_at, card=str(payload.get("c", "")))


def path(kind: str, token: str) -> str:
    return reverse(ROUTES[kind], args=[token])


def url(kind: str, *, payout_id: int, expires_at: dt.datetime, card: str = "") -> str:
    """The absolute link a buyer's message carries."""
    token = sign(kind, payout_id=payout_id, expires_at=expires_at, card=card)
    return settings.BUYER_PAGES_BASE_URL.rstrip("/") + path(kind, token)
