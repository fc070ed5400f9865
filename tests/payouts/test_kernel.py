"""Small payouts on the kernel (issue 9): every status moves through core.transitions along the models'
TRANSITIONS, every event type written is registered with core.labels and reads in Chinese, services do not
import tasks, and production code paths never read the sandbox."""

import ast
from pathlib import Path

import pytest
from django.utils import translation

import payouts
from core import labels
from core.clocks import run_all
from core.errors import ApplicationError
from core.transitions import transition, transition_allowed
from orders.models import OrderEvent
from payouts.models import (
    ALLOWED_TRANSITIONS,
    CardStatus,
    Payout,
    PayoutCard,
    PayoutEvent,
    PayoutEventType,
    PayoutOrderEventType,
    PayoutRequest,
    RequestStatus,
)
from payouts.services import (
    payout_card_expire,
    payout_card_submit,
    payout_create,
    payout_request_create,
    payout_request_reject,
)

APP = Path(payouts.__file__).parent


def failed_pdd_payout(orders, users, pay) -> Payout:
    payout = payout_create(order=orders["PDD2005"], data=pay("20.00"), actor=users["pdd_admin"])
    run_all()
    payout.refresh_from_db()
    assert payout.status == "failed"
    return payout


def test_every_payouts_model_with_a_status_declares_its_table():
    """SPEC §4.4: the payout table is the kernel's; cards and requests have theirs."""
    assert Payout.TRANSITIONS is ALLOWED_TRANSITIONS
    assert PayoutCard.TRANSITIONS[CardStatus.SENT] == {CardStatus.SUBMITTED, CardStatus.EXPIRED}
    assert PayoutRequest.TRANSITIONS[RequestStatus.PENDING] == {RequestStatus.APPROVED, RequestStatus.REJECTED}
    for model in (Payout, PayoutCard, PayoutRequest):
        statuses = {value for value, _label in model._meta.get_field("status").choices}
        assert set(model.TRANSITIONS) == statuses


@pytest.mark.django_db
def test_pay_c02_c03_a_submitted_card_never_expires_and_the_kernel_refuses_the_move(orders, users, pay):
    """PAY-C02/C03: a submitted card stays submitted; the clock leaves it, the kernel refuses it (409)."""
    payout = failed_pdd_payout(orders, users, pay)
    card = payout.cards.get()
    payout_card_submit(token=card.token, buyer=users["buyer_invalid"], channel="alipay", account="13800138000",
                       name="张三")
    card.refresh_from_db()
    assert card.status == CardStatus.SUBMITTED and not transition_allowed(card, CardStatus.EXPIRED)
    assert payout_card_expire(card_id=card.pk) is False
    with pytest.raises(ApplicationError) as refused:
        transition(card, CardStatus.EXPIRED, actor=None, event=PayoutEventType.CARD_EXPIRED)
    assert refused.value.code == "invalid_transition"
    types = list(PayoutEvent.objects.filter(payout=payout).values_list("type", flat=True))
    assert types.count(PayoutEventType.CARD_SUBMITTED) == 1 and PayoutEventType.RETRIED in types


@pytest.mark.django_db
def test_pay_a02_a_rejected_request_is_on_the_order_log_and_cannot_be_decided_again(orders, users, pay):
    """PAY-A02: a request's moves are written to its order's operation log; a decided request stays decided."""
    request = payout_request_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_cs2"])
    payout_request_reject(request=request, actor=users["pdd_admin"], reason="不符合")
    with pytest.raises(ApplicationError) as refused:
        payout_request_reject(request=request, actor=users["pdd_admin"], reason="again")
    assert refused.value.code == "request_not_pending"
    log = list(OrderEvent.objects.filter(order=orders["PDD2001"]).values_list("type", "params"))
    assert (PayoutOrderEventType.REQUEST_REJECTED, {"request": request.pk, "reason": "不符合"}) in log


@pytest.mark.django_db
def test_every_event_type_written_is_registered_and_reads_in_chinese(orders, users, pay):
    """SEC-06 and the admin's Chinese: timelines show labels, never codes or English keys."""
    failed_pdd_payout(orders, users, pay)
    payout_create(order=orders["DY1001"], data=pay("5.00"), actor=users["dy_admin"])
    payout_request_create(order=orders["PDD2001"], data=pay("5.00"), actor=users["pdd_cs2"])
    assert labels.unregistered("payout", PayoutEvent.objects.values_list("type", flat=True)) == set()
    order_types = {t for t in OrderEvent.objects.values_list("type", flat=True) if t.startswith("payout")}
    assert order_types and labels.unregistered("order", order_types) == set()
    with translation.override("zh-hans"):
        assert labels.event_label("payout", "created") == "发起打款"
        assert labels.event_label("payout", "card_expired") == "账户信息填写卡片已失效"
        assert labels.event_label("order", "payout_created") == "发起小额打款"
        text = labels.event_details_text({"pay_method": "balance", "reason": "buyer_account_invalid",
                                          "source": "query", "card": "secret-token"}, "payout")
        assert text == "支付方式: 货款余额; 失败原因: 买家收款账户异常; 来源: 渠道查询"  # no card token, no code
        # the admin reads the registry directly (the old payouts.labels delegations are gone); a card's token is
        # never shown (literal expectations, issue 22 item 18: not the function compared with itself)
        assert labels.event_label("payout", "created") == "发起打款"
        assert labels.event_details_text({"card": "secret-token", "pay_method": "scan"}, "payout") == "支付方式: 扫码支付"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_services_do_not_import_tasks():
    """One way: tasks import services; services enqueue the settle task by name."""
    assert not {m for m in _imports(APP / "services.py") if m.endswith("tasks")}
    assert ".services" in _imports(APP / "tasks.py")


def test_production_code_paths_never_read_the_sandbox():
    """The provider adapter owns sandbox behaviour (wallets, QR links); services and clocks do not know it."""
    for name in ("services.py", "sweeps.py", "selectors.py"):
        assert "sandbox" not in (APP / name).read_text(encoding="utf-8").lower(), name
