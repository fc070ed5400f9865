"""Refusals of the after-sales services, with the codes of API.md "After-sales tickets and re-opened entries"."""

from core.errors import ErrorCode


class AftersalesError:
    # Re-opened entry eligibility (ASE-E01..E06), in the order they are reported.
    PERIOD_NOT_OVER = ErrorCode(
        "aftersales_period_not_over", "仅限超过售后期(确认收货+7天后)的订单使用",
        "Only for orders past their after-sales period (receipt confirmed + 7 days).", rule="ASE-E01")
    REFUNDED_OR_REFUNDING = ErrorCode(
        "order_refunded_or_refunding", "已全款退款成功的订单和退款过程中的订单除外",
        "Not for orders fully refunded or with a refund in progress.", rule="ASE-E02")
    NOT_PAID_ONLINE = ErrorCode(
        "order_not_paid_online", "仅限在线支付订单使用,不支持货到付款订单使用",
        "Online payment only: not for cash-on-delivery orders.", rule="ASE-E03")
    NOT_PHYSICAL = ErrorCode(
        "order_not_physical", "仅限实物商品订单使用,不支持虚拟商品订单使用",
        "Physical goods only: not for virtual goods.", rule="ASE-E04")
    OUTSIDE_ENTRY_WINDOW = ErrorCode(
        "order_outside_entry_window", "仅限2020年6月30日后创建的订单且订单创建时间150天内的订单使用",
        "Only for orders created after 2020-06-30 and no more than 150 days ago.", rule="ASE-E05")
    CATEGORY_NOT_SUPPORTED = ErrorCode(
        "order_category_not_supported", "不支持卡券类商品订单、清北网校订单、学浪订单、好好学习订单",
        "Not for coupon/card goods nor education orders.", rule="ASE-E06")
    ENTRY_ALREADY_OPEN = ErrorCode(
        "entry_already_open", "该订单的售后入口已打开", "The order's after-sales entry is already open.",
        rule="ASE-R01", status=409)
    ENTRY_NOT_CLOSED = ErrorCode(
        "entry_not_closed", "售后入口关闭后才可申请再次打开",
        "The entry can be asked for again only after a re-opened entry has closed.", rule="ASE-R01", status=409)

    # Buyers applying.
    APPLICATION_LIMIT_REACHED = ErrorCode(
        "aftersales_application_limit_reached", "售后期内,售后申请次数不超过5次",
        "Within the after-sales period a buyer may apply at most {limit} times per order.", rule="ASE-R02")
    PERIOD_OVER = ErrorCode(
        "aftersales_period_over", "订单已超过售后期,请联系商家打开售后入口",
        "The order's after-sales period is over: ask the merchant to open the after-sales entry.",
        rule="ASE-E01")
    RESHIP_NOT_AVAILABLE = ErrorCode(
        "reship_not_available", "该订单不支持申请补寄(发货后至确认收货后15天内,且类目已开放补寄)",
        "Reship is available after shipment and up to 15 days after receipt, in categories where it is enabled.",
        rule="RS-01")
    TICKET_ALREADY_OPEN = ErrorCode(
        "ticket_already_open", "该订单已有处理中的售后单", "The order already has an after-sales ticket in progress.",
        status=409)
    ORDER_STATUS_NOT_ALLOWED = ErrorCode(
        "order_status_not_allowed", "该订单状态不支持申请此类售后",
        "The order's status does not allow this kind of after-sales application.")
    ORDER_NOT_REFUNDABLE = ErrorCode(
        "order_fully_refunded", "该订单已全额退款", "The order is already refunded in full.")
    AMOUNT_EXCEEDS_REFUNDABLE = ErrorCode(
        "ticket_amount_exceeds_refundable", "退款金额不能超过订单可退金额{refundable}元",
        "The refund may not exceed the order's refundable amount {refundable}.")
    NOT_YOUR_ORDER = ErrorCode("not_found", "对象不存在", "Not found.", status=404)

    # Merchant decisions.
    VERSION_STALE = ErrorCode(
        "ticket_version_stale", "售后单已被更新,请刷新后重试",
        "The ticket changed since you loaded it: reload and decide again.", status=409)
    NOT_ACTIONABLE = ErrorCode(
        "ticket_not_actionable", "售后单当前状态不支持该操作", "The ticket's status does not allow this.",
        status=409)
    NOT_SHOP_MEMBER = ErrorCode(
        "permission_denied", "无权执行此操作", "You may not do this.", status=403)
    TRACKING_NO_INVALID = ErrorCode(
        "tracking_no_invalid", "请上传真实有效的物流单号", "Upload a real tracking number of this courier.",
        rule="RS-04")
    TRACKING_NO_USED = ErrorCode(
        "tracking_no_used", "该物流单号已被其他订单使用", "This tracking number is already used by another order.",
        rule="RS-04")

    # Buyer follow-ups and platform staff.
    INTERVENTION_WINDOW_CLOSED = ErrorCode(
        "intervention_window_closed", "已超过48小时,无法修改申请或申请平台介入",
        "The 48-hour window to modify the request or ask for platform intervention is closed.",
        rule="RS-07", status=409)
    NOT_IN_ARBITRATION = ErrorCode(
        "ticket_not_in_arbitration", "该售后单不在平台仲裁或介入中",
        "The ticket is not in platform arbitration or intervention.", rule="RS-09", status=409)

