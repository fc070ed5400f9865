"""CON-04: the platforms' orders mapped as API.md says; unknown values kept raw and flagged, never a crash."""

from decimal import Decimal

import pytest

from platforms.mapping import MappingError, douyin_order, pdd_order
from tests.platforms.payloads import at, douyin_raw, pdd_raw


def test_con04_douyin_fen_to_yuan_status_items_parcels_times():
    o = douyin_order(douyin_raw(status=3, pay_type=0, b_type=8, logistics_info=[
        {"tracking_no": "YT1234567890123", "company": "yuantong", "company_name": "圆通快递"}]))
    assert o.order_id == "6920000000000000001"
    assert o.paid_amount == Decimal("25.90")
    assert o.status == "shipped" and o.status_raw == "3"
    assert o.payment == "cod" and o.source_app == "douyin_lite"
    assert [(i.product_id, i.price, i.quantity) for i in o.items] == [("3500000001", Decimal("25.90"), 1)]
    assert [(p.tracking_no, p.courier) for p in o.parcels] == [("YT1234567890123", "yto")]
    assert o.updated_at.utcoffset().total_seconds() == 8 * 3600
    assert o.buyer_id == "1@#buyerOpenIdAbc==" and not o.needs_review


@pytest.mark.parametrize(("raw", "status"), [(1, "stocking"), (105, "stocking"), (2, "stocking"),
                                             (101, "partially_shipped"), (3, "shipped"), (5, "completed"),
                                             (4, "closed")])
def test_con04_douyin_statuses(raw, status):
    assert douyin_order(douyin_raw(status=raw)).status == status


def test_con04_douyin_unknown_values_kept_raw_and_flagged():
    o = douyin_order(douyin_raw(status=77, b_type=99, logistics_info=[{"tracking_no": "ZT1", "company": "zhongtong"}]))
    assert o.needs_review
    assert o.unknown == {"order_status": 77, "b_type": 99, "logistics_info[0].company": "zhongtong"}
    assert o.parcels == []


def test_con04_douyin_refund_state_from_skus():
    raw = douyin_raw()
    raw["sku_order_list"][0]["after_sale_info"]["refund_status"] = 3
    assert douyin_order(raw).refund_state == "full"
    raw["sku_order_list"][0]["after_sale_info"]["refund_status"] = 2
    assert douyin_order(raw).refund_state == "in_progress"


def test_con04_pdd_yuan_status_group_receipt():
    o = pdd_order(pdd_raw(status=3, receive_time="2024-12-07 10:00:00", trade_type=1,
                          tracking_number="JT1234567890123", logistics_id=384))
    assert o.paid_amount == Decimal("25.90") and o.status == "completed"
    assert o.confirmed_receipt_at == at("2024-12-07 10:00:00")
    assert o.group_formed_at == at("2024-12-05 08:01:00")
    assert o.deposit_presale and o.source_app == "pinduoduo"
    assert [(p.tracking_no, p.courier) for p in o.parcels] == [("JT1234567890123", "jt")]
    assert o.buyer_id == "order:241205-000000001"


def test_con04_pdd_cancelled_is_closed_and_refund_states():
    assert pdd_order(pdd_raw(confirm_status=2)).status == "closed"
    assert pdd_order(pdd_raw(refund_status=4)).refund_state == "full"
    assert pdd_order(pdd_raw(refund_status=9)).unknown == {"refund_status": 9}


def test_con07_no_personal_data_read():
    o = douyin_order(douyin_raw())
    text = repr(o)
    assert "张" not in text and "enc" not in text and "1****" not in text


def test_con04_missing_order_id_is_a_mapping_error():
    raw = douyin_raw()
    del raw["order_id"]
    with pytest.raises(MappingError):
        douyin_order(raw)
