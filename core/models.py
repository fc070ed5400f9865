from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class DomainEvent(models.Model):
    """One row of an object's timeline (STYLE.md "Events and audit"): what happened (snake_case past tense),
    who did it (empty for clocks and callbacks), when, and its parameters. Subclasses add the subject's
    foreign key and their tenancy paths; services write them, admin and API pages read them."""

    type = models.CharField(_("type"), max_length=48)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(_("time"))
    params = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.type


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a user sent with a money-moving POST (API.md Conventions; core.idempotency).

    The unique (user, key) constraint is the guarantee: two requests under one key can never both run.
    """

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user"))
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    tenant_shop_path = "user__shop"
    tenant_buyer_path = "user"

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_unique_per_user")]

    def __str__(self) -> str:
        return self.key


class ClockRun(models.Model):
    """The last run of one clock (sweep) of SPEC §8 (OPS-05): one row per clock, overwritten by each run.

    `core.clocks.run_sweep` writes it after every run (Celery beat or `run_clocks`); `/readyz`, `/metrics` and
    系统状态 read it: a clock whose last run is older than twice its beat interval is late."""

    clock = models.CharField(_("clock"), max_length=64, unique=True)
    last_run_at = models.DateTimeField(_("last run"))
    last_ok_at = models.DateTimeField(_("last successful run"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    rows_moved = models.PositiveIntegerField(_("rows moved"), default=0)
    ok = models.BooleanField(_("succeeded"), default=True)
    error = models.CharField(_("error"), max_length=200, blank=True)
    # What a sweep reports besides its rows (core.clocks.report), e.g. ledger_verify's {"drifts": 0}.
    result = models.JSONField(_("result"), default=dict, blank=True)
    runs = models.PositiveBigIntegerField(_("runs"), default=0)

    class Meta:
        verbose_name = _("clock run")
        verbose_name_plural = _("clock runs")
        ordering = ["clock"]

    def __str__(self) -> str:
        return self.clock


class RailCall(models.Model):
    """One call to a payment rail (core.observability.rail_call): its outcome and latency, for 系统状态's
    recent outcomes. Kept 7 days (the `rail_calls_purge` clock)."""

    rail = models.CharField(_("rail"), max_length=32)
    op = models.CharField(_("operation"), max_length=32)
    outcome = models.CharField(_("outcome"), max_length=32)
    seconds = models.FloatField(_("seconds"))
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("rail call")
        verbose_name_plural = _("rail calls")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["rail", "-at"], name="core_railcall_rail_at")]

    def __str__(self) -> str:
        return f"{self.rail} {self.op} {self.outcome}"


class RailCallTotal(models.Model):
    """Counters behind `backoffice_rail_submissions_total` and the `backoffice_rail_seconds` histogram, kept in
    the database so every process (gunicorn workers, Celery workers on any host) adds to one figure.

    One row per (rail, op, outcome, bucket): a call adds 1 to the row of the smallest bucket bound ≥ its
    latency (`le` in seconds; "+Inf" past the largest) and its latency to `seconds_sum`; the scrape makes the
    cumulative buckets. Never reset, as Prometheus counters expect."""

    rail = models.CharField(_("rail"), max_length=32)
    op = models.CharField(_("operation"), max_length=32)
    outcome = models.CharField(_("outcome"), max_length=32)
    le = models.CharField(_("bucket"), max_length=8)
    count = models.PositiveBigIntegerField(_("calls"), default=0)
    seconds_sum = models.FloatField(_("seconds (sum)"), default=0)

    class Meta:
        verbose_name = _("rail call total")
        verbose_name_plural = _("rail call totals")
        constraints = [models.UniqueConstraint(fields=["rail", "op", "outcome", "le"], name="core_railcalltotal_key")]

    def __str__(self) -> str:
        return f"{self.rail} {self.op} {self.outcome} ≤{self.le}"
