"""Platform order payloads in the platforms' own shapes (shared by the tests and the fakes)."""

import datetime as dt

from core.clock import SHANGHAI


def douyin_raw(order_id="6920000000000000001", *, status=2, update_time=1733360000, pay_amount=2590, **extra):
    raw = {
        "order_id": order_id, "shop_id": 4463798, "order_status": status, "order_status_desc": "备货中",
        "pay_amount": pay_amount, "order_amount": pay_amount, "pay_type": 1, "b_type": 2, "order_type": 0,
        "create_time": update_time - 3600, "pay_time": update_time - 3500, "update_time": update_time,
        "finish_time": 0, "doudian_open_id": "1@#buyerOpenIdAbc==",
        "mask_post_receiver": "张**", "mask_post_tel": "1********23", "encrypt_post_tel": "#enc#tel#",
        "sku_order_list": [{
            "product_id": 3500000001, "product_name": "保温杯 500ml", "goods_price": 2590, "item_num": 1,
            "first_cid": 20000, "after_sale_info": {"after_sale_status": 0, "refund_status": 0},
        }],
        "logistics_info": [],
    }
    raw.update(extra)
    return raw


def pdd_raw(order_sn="241205-000000001", *, status=1, updated_at="2024-12-05 09:00:00", pay_amount="25.90", **extra):
    raw = {
        "order_sn": order_sn, "order_status": status, "confirm_status": 1, "refund_status": 1, "trade_type": 0,
        "pay_amount": pay_amount, "goods_amount": pay_amount, "created_time": "2024-12-05 08:00:00",
        "pay_time": "2024-12-05 08:01:00", "confirm_time": "2024-12-05 08:01:00", "group_status": 1,
        "updated_at": updated_at, "receive_time": "", "tracking_number": "", "logistics_id": 0,
        "receiver_name": "张*", "receiver_phone": "$$enc$$", "address": "浙江省杭州市***",
        "item_list": [{"goods_id": 880001, "goods_name": "收纳盒", "goods_price": 25.9, "goods_count": 1}],
    }
    raw.update(extra)
    return raw


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)
