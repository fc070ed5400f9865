"""Coded refusals of parcel interception (API.md "Parcel interception")."""

from core.errors import ErrorCode


class LogisticsError:
    INTERCEPTION_NOT_AVAILABLE = ErrorCode(
        "interception_not_available",
        "仅支持未完结的仅退款售后单、且包裹仍在运输中(派件前)时发起快递拦截",
        "Interception is only offered for an unfinished refund-only ticket on a parcel still in transit "
        "(before it goes out for delivery).",
        rule="INT-01",
    )
    INTERCEPTION_ALREADY_REQUESTED = ErrorCode(
        "interception_already_requested",
        "该包裹已发起拦截,请勿重复操作",
        "This parcel is already being intercepted.",
        rule="INT-07",
        status=409,
    )
    NO_ACTIVE_CONTRACT = ErrorCode(
        "no_active_contract",
        "该包裹所属网点未开通线下结算拦截服务",
        "The parcel's outlet has no active offline-settlement contract with this shop.",
        rule="INT-03",
    )
    OUTLET_WITHOUT_E_WAYBILL = ErrorCode(
        "outlet_without_e_waybill",
        "仅支持已开通抖音电子面单的网点进行签约:{outlet}",
        "Only outlets with Douyin e-waybill can be contracted: {outlet}.",
        rule="INT-05",
    )
    CONTRACT_EXISTS = ErrorCode(
        "interception_contract_exists",
        "已与该网点开通或申请开通服务:{outlet}",
        "The shop already has an open or pending contract with this outlet: {outlet}.",
        rule="INT-03",
        status=409,
    )
    CONTRACT_NOT_PENDING = ErrorCode(
        "contract_not_pending",
        "该签约申请不在待审核状态",
        "This contract is not awaiting review.",
        rule="INT-04",
        status=409,
    )
    CONTRACT_NOT_OPEN = ErrorCode(
        "contract_not_open",
        "该签约已结束或被驳回,无法修改",
        "This contract has ended or was rejected; it cannot be changed.",
        rule="INT-10",
        status=409,
    )
    MAIN_ACCOUNT_ONLY = ErrorCode(
        "main_account_only",
        "仅主账号可以操作",
        "Only the shop's main account may do this.",
        status=403,
    )
    OUTLET_USER_ONLY = ErrorCode(
        "outlet_user_only",
        "仅该包裹所属网点的用户可以操作",
        "Only users of the parcel's outlet may do this.",
        status=403,
    )
    RETURN_NOT_PENDING = ErrorCode(
        "interception_not_returning",
        "该拦截单不在退回途中,无法上报退回结果",
        "This interception is not on its return leg: no return result can be reported.",
        rule="INT-07",
        status=409,
    )
    CLAIM_NOT_AVAILABLE = ErrorCode(
        "claim_not_available",
        "仅拦截成功但退回失败(丢失或损坏)的包裹可以发起投诉",
        "A complaint can only be filed when the interception succeeded but the return failed (lost or damaged).",
        rule="INT-09",
    )
    CLAIM_WINDOW_NOT_OPEN = ErrorCode(
        "claim_window_not_open",
        "拦截成功7天后才可发起投诉,请先与快递网点协商理赔",
        "A complaint can be filed from 7 days after the interception succeeded; settle with the outlet first.",
        rule="INT-09",
    )
    CLAIM_WINDOW_CLOSED = ErrorCode(
        "claim_window_closed",
        "已超过拦截成功后30天的投诉期限",
        "The complaint window (30 days after the interception succeeded) has closed.",
        rule="INT-09",
    )
    CLAIM_AMOUNT_EXCEEDS_LIMIT = ErrorCode(
        "claim_amount_exceeds_limit",
        "投诉金额不能超过{limit}元(最高1000元,且不超过商品价值)",
        "The amount may not exceed {limit} (at most 1000.00 and at most the goods' value).",
        rule="INT-09",
    )
    CLAIM_ALREADY_FILED = ErrorCode(
        "claim_already_filed",
        "该拦截单已有处理中的投诉",
        "This interception already has an open complaint.",
        rule="INT-09",
        status=409,
    )
    CLAIM_NOT_FILED = ErrorCode(
        "claim_not_filed",
        "该投诉已处理",
        "This complaint has already been decided.",
        rule="INT-09",
        status=409,
    )
    CLAIM_NOT_APPROVED = ErrorCode(
        "claim_not_approved",
        "仅已通过的投诉可以确认赔付到账",
        "Only an approved complaint can be confirmed as paid.",
        rule="INT-09",
        status=409,
    )
    COMPENSATION_EXCEEDS_CLAIM = ErrorCode(
        "compensation_exceeds_claim",
        "赔付金额须大于0且不超过投诉金额",
        "The compensation must be positive and at most the amount asked.",
        rule="INT-09",
    )
