"""Refusals of small payouts: stable codes (API.md), Chinese as the platforms' pages say it, English,
and the SPEC rule."""

from core.errors import ErrorCode


def _e(code: str, zh: str, en: str, rule: str, status: int = 422) -> ErrorCode:
    return ErrorCode(code, zh, en, rule=rule, status=status)


class PayoutError:
    ORDER_SOURCE_NOT_SUPPORTED = _e(
        "order_source_not_supported", "仅限抖音APP和抖音火山版APP产生的订单使用小额打款",
        "Only orders placed in the Douyin or Douyin Huoshan app can receive a payout.", "PAY-E01")
    ORDER_NOT_PAID_ONLINE = _e(
        "order_not_paid_online", "仅限在线支付订单使用小额打款", "Only orders paid online can receive a payout.", "PAY-E02")
    ORDER_TOO_OLD = _e(
        "order_too_old", "仅限近{months}个月产生的订单使用小额打款",
        "Only orders from the last {months} months can receive a payout.", "PAY-E03")
    ORDER_STATUS_NOT_ALLOWED = _e(
        "order_status_not_allowed", "仅限备货中、部分发货、已发货、已完成、已关闭(仅定金预售)的订单使用小额打款",
        "The order's status does not allow a payout (closed orders only for deposit presale).", "PAY-E04")
    AGGREGATED_ACCOUNT_NOT_OPENED = _e(
        "aggregated_account_not_opened", "商家未开通聚合账户", "The shop has not opened its payout account.", "PAY-E05")
    LOCAL_LIFE_NOT_SUPPORTED = _e(
        "local_life_not_supported", "不支持本地生活类目商品订单使用小额打款",
        "Local-life category orders cannot receive a payout.", "PAY-E06")
    CROSS_BORDER_NOT_SUPPORTED = _e(
        "cross_border_not_supported", "不支持跨境电商订单使用小额打款",
        "Cross-border orders cannot receive a payout.", "PAY-E07")
    SHOP_NOT_OPERATING = _e(
        "shop_not_operating", "店铺非正常经营状态(如停业整顿),暂不可使用小额打款",
        "The shop is not operating normally (suspended or under rectification).", "PAY-E08")
    SHOP_WITHDRAWAL_FROZEN = _e(
        "shop_withdrawal_frozen", "货款提现被冻结,无法发起打款", "The shop's withdrawals are frozen.", "PAY-E08")
    INDIVIDUAL_SHOP_NOT_SUPPORTED = _e(
        "individual_shop_not_supported", "不支持个人资质店铺使用小额打款",
        "Shops with an individual qualification cannot use small payouts.", "PAY-E09")
    SHOP_HAS_UNPAID_BILL = _e(
        "shop_has_unpaid_bill", "店铺存在未缴纳账单,暂不可使用小额打款", "The shop has an unpaid platform bill.", "PAY-L11")
    INVALID_AMOUNT = _e(
        "invalid_amount", "打款金额须不低于{minimum}元且最多两位小数",
        "The amount must be at least {minimum} with at most two decimals.", "PAY-L10")
    NO_PAYOUT_PERMISSION = _e(
        "no_payout_permission", "子账号无打款额度,需要主账号为所在子账号调整打款额度",
        "This sub-account has no payout quota; ask the main account to set one.", "PAY-L08", status=403)
    ORDER_PAYOUT_TOO_FREQUENT = _e(
        "order_payout_too_frequent", "频繁发起打款,同一订单1min内只可发起一笔小额打款",
        "Too frequent: one payout per order per minute.", "PAY-L03", status=429)
    ORDER_PAYOUT_COUNT_REACHED = _e(
        "order_payout_count_reached", "主订单已达打款次数上限,单笔订单最多支持打款{limit}次",
        "The order has reached its payout limit: at most {limit} payouts per order.", "PAY-L01")
    ORDER_PAYOUT_CAP_EXCEEDED = _e(
        "order_payout_cap_exceeded", "主订单维度限制累计打款额度最高{cap}元",
        "The order's payouts may total at most {cap}.", "PAY-L02")
    ORDER_PAID_AMOUNT_EXCEEDED = _e(
        "order_paid_amount_exceeded", "主订单累计打款金额(待打款+打款中+打款成功)大于订单实付金额",
        "The order's payouts would exceed the amount the buyer paid.", "PAY-L04")
    SHOP_DAILY_CAP_EXCEEDED = _e(
        "shop_daily_cap_exceeded", "店铺每日打款剩余额度不足,店铺单日打款上限:{cap}元",
        "The shop's daily payout cap ({cap}) would be exceeded.", "PAY-L05")
    QUOTA_PER_PAYOUT_EXCEEDED = _e(
        "quota_per_payout_exceeded", "超出主账号设置的单笔限额,请联系主账号调整打款额度",
        "Over this sub-account's per-payout limit; ask the main account to raise it.", "PAY-L06")
    QUOTA_DAILY_EXCEEDED = _e(
        "quota_daily_exceeded", "子账号已达每日打款限额,请联系主账号调整打款额度",
        "This sub-account's daily payout limit would be exceeded; ask the main account to raise it.", "PAY-L07")
    INSUFFICIENT_BALANCE = _e(
        "insufficient_balance", "货款账户(聚合账户)账户余额不足",
        "The shop's available balance is too low (frozen money does not count).", "PAY-L09")
    BALANCE_PAYMENT_NOT_ALLOWED = _e(
        "balance_payment_not_allowed", "不可通过货款余额支付,请扫码支付或向管理员申请",
        "The shop balance cannot be used: pay by scanning or send a request to the administrator.", "PAY-Q04")
    SCAN_NOT_SUPPORTED = _e(
        "scan_not_supported", "该平台不支持扫码打款", "Scan-to-pay is not available on this platform.", "PAY-Q01")
    PRODUCT_NOT_IN_ORDER = _e(
        "product_not_in_order", "关联商品不属于该订单", "The related product is not an item of the order.", "PAY-F02")
    PAYOUT_NOT_SUCCEEDED = _e(
        "payout_not_succeeded", "只有打款成功的打款才有到账凭证", "Only a succeeded payout has a proof of payment.",
        "PAY-R02", status=409)
    PROOF_NOT_CONFIRMED = _e(
        "proof_not_confirmed", "打款通道此刻未确认这笔打款已到账,请稍后再试或联系平台客服",
        "The rail does not confirm this payout as paid right now; try again later or contact the platform.",
        "PAY-R02", status=409)
    RAIL_UNAVAILABLE = _e(
        "rail_unavailable", "打款通道暂时无法查询,请稍后再试", "The payment rail cannot be asked right now; try again later.",
        "PAY-R02", status=503)
    OFF_PLATFORM_CONTACT = _e(
        "off_platform_contact", "严禁索要及添加消费者支付宝/微信/QQ 等账号:打款原因和给买家的留言不能索要站外账号或联系方式",
        "Never ask for or add the buyer's Alipay, WeChat, QQ or other accounts: the reason and the message to the "
        "buyer may not ask for an off-platform account or contact.", "PAY-F06")
    PAYOUT_NOT_PENDING = _e(
        "payout_not_pending", "该打款不是待打款状态,无法继续打款", "Only a pending payout can be continued.", "PAY-S02",
        status=409)
    REQUEST_NOT_PENDING = _e(
        "request_not_pending", "该申请已处理", "This request has already been decided.", "PAY-A02", status=409)
    REQUEST_SELF_APPROVAL = _e(
        "request_self_approval", "不能审批自己提交的打款申请", "You cannot decide your own payout request.", "PAY-A02",
        status=403)
    REQUEST_APPROVER_ONLY = _e(
        "request_approver_only", "仅主账号(拼多多:客服管理员)可审批打款申请",
        "Only the main account (Pinduoduo: customer-service admins) may decide payout requests.", "PAY-A02", status=403)
    REJECT_REASON_REQUIRED = _e(
        "reject_reason_required", "驳回须填写原因", "A rejection needs a reason.", "PAY-A02", status=400)
    CARD_EXPIRED = _e(
        "card_expired", "账户信息填写卡片已过期,请联系商家重新发送",
        "This account card has expired; ask the shop to send a new one.", "PAY-C03", status=410)
    CARD_NOT_AVAILABLE = _e(
        "card_not_available", "该打款当前不可发送账户信息填写卡片",
        "An account card can be sent only for a failed, unclosed payout that failed for the buyer's account.",
        "PAY-C03", status=409)
    TOP_UP_WINDOW_CLOSED = _e(
        "top_up_window_closed", "申请打款1小时后仍未充值,充值失败,无法继续充值,如需打款可重新发起",
        "The one-hour top-up window has closed; start a new payout.", "PAY-Q02", status=409)
    NOT_AWAITING_TOP_UP = _e(
        "payout_not_awaiting_top_up", "该打款不是待充值状态", "This payout is not awaiting a top-up.", "PAY-Q02", status=409)
    CALLBACK_SIGNATURE_INVALID = _e(
        "callback_signature_invalid", "回调签名无效", "The callback's signature is missing, invalid or stale.", "PAY-S07",
        status=401)
    PAYOUT_OUTCOME_UNKNOWN = _e(
        "payout_outcome_unknown", "该打款的结果正在与支付渠道核实,请稍后再试",
        "The outcome of this payout's last submission is being cleared up with the payment rail; try again later.",
        "PAY-S09", status=409)
    RAIL_LIMIT = _e(
        "rail_limit", "超出支付渠道的限制:{limit}", "The payment rail's own limit: {limit}.", "PAY-S12")
    CALLBACK_MISMATCH = _e(
        "callback_mismatch", "回调与打款不符(业务单号或金额),已拒绝并提交平台核查",
        "The report does not match the payout (its key or amount); refused and flagged to platform staff.",
        "PAY-S11", status=409)
