from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LogisticsConfig(AppConfig):
    name = "logistics"
    verbose_name = _("Parcel interception service")

    def ready(self) -> None:
        from core import hooks, labels
        from core.errors import ErrorCode

        from . import models as m
        from . import sweeps  # noqa: F401  (registers the clocks)
        from .errors import LogisticsError
        from .services import interception_auto_on_ticket_created

        # INT-06: a new refund-only ticket intercepts its parcels where the shop's rule is on.
        hooks.on("ticket_created")(interception_auto_on_ticket_created)

        labels.register_events("interception", m.InterceptionEventType)
        labels.register_events("contract", m.ContractEventType)
        labels.register_events("claim", m.ClaimEventType)
        labels.register_events("ticket", m.TicketInterceptionEventType)
        labels.register_events("order", m.OrderInterceptionEventType)
        labels.register_params(**{"from": _("from status")})
        labels.register_params(
            external_ref=_("courier reference"), fee_source=_("fee taken from"),
            agreed_price=_("agreed price per parcel"), compensation=_("compensation"), code=_("reason"),
            old_price=_("previous agreed price"),
        )
        labels.register_values("settlement", m.Settlement)
        labels.register_values("outcome", m.ReturnOutcome)
        labels.register_values("failure_reason", m.FailureReason)
        labels.register_values("kind", m.ClaimKind)
        labels.register_values("fee_source", {"balance": _("available balance"), "deposit": _("deposit"),
                                              "platform_advance": _("platform advance")})
        labels.register_subject_values("contract", "status", m.ContractStatus)
        labels.register_values("from", {**dict(m.ContractStatus.choices), **dict(m.InterceptionStatus.choices),
                                        **dict(m.ClaimStatus.choices)})
        # Why the auto-intercept rule skipped a parcel: the refusal's own message, in the page's language.
        labels.register_values("code", {error.code: _Refusal(error) for error in vars(LogisticsError).values()
                                        if isinstance(error, ErrorCode)})


class _Refusal:
    """A refusal's message as a label: Chinese or English as the page reads (rule IDs stay out, SEC-06)."""

    def __init__(self, error) -> None:
        self.error = error

    def __str__(self) -> str:
        from django.utils import translation

        zh = (translation.get_language() or "zh-hans").startswith("zh")
        return self.error.message if zh else self.error.message_en
