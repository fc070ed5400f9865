"""The real rails' failure codes, by what the product does about them (`payouts.provider.ERROR_CLASSES`).

Codes carry their rail's prefix (`WECHAT_` + WeChat Pay `fail_reason` or error code, `ALIPAY_` + Alipay
`sub_code`/`error_code`). A FAIL bill is final at the rail: a resubmission under its business key answers the
same bill, so no failure a bill carries is transient. Around a request (PAY-S09): a refusal for certain (rate
limited, the merchant's fund account short, never sent) raises `RailUnavailable` — the payout is pending and
the same key goes again on continue or by the clock; an unknown outcome (read timeout, 5xx, SYSTEM_ERROR, an
unverifiable answer) raises `RailOutcomeUnknown` — the payout stays processing and the key is asked about
before anything else goes out. A transient code reported for a key queues the same key again. Unknown codes
are terminal.
Imports nothing from payouts (provider.py merges it).
"""

BUYER_FIXABLE = "buyer_fixable"
TRANSIENT = "transient"
TERMINAL = "terminal"

# WeChat Pay 商家转账 fail_reason (转账失败原因) — the buyer's account cannot take it: an account card.
WECHAT_BUYER_FIXABLE = (
    "ACCOUNT_FROZEN", "ACCOUNT_NOT_EXIST", "NAME_NOT_CORRECT", "OPENID_INVALID", "PAYEE_ACCOUNT_ABNORMAL",
    "REAL_NAME_CHECK_FAIL", "ID_CARD_NOT_CORRECT", "USER_NOT_EXIST", "DAY_RECEIVED_COUNT_EXCEED",
    "DAY_RECEIVED_QUOTA_EXCEED", "REALNAME_ACCOUNT_RECEIVED_QUOTA_EXCEED", "RESERVED_ACCOUNT_RECEIVED_QUOTA_EXCEED",
    "BLOCK_B2C_USERLIMITAMOUNT_BSRULE_MONTH", "BLOCK_B2C_USERLIMITAMOUNT_MONTH", "OVERDUE_CLOSE",
    "BANK_CARD_ACCOUNT_ABNORMAL", "BANK_CARD_BANK_INFO_WRONG", "BANK_CARD_CARD_INFO_WRONG",
    "BANK_CARD_COLLECTIONS_ABOVE_QUOTA", "BANK_CARD_ESTATE_ABNORMAL", "BANK_CARD_PARAM_ERROR",
    "BANK_CARD_STATUS_ABNORMAL", "BANK_CARD_USER_NAME_ERROR",
)
# The merchant's side or the rail's rules: failed, staff look at it.
WECHAT_TERMINAL = (
    "MERCHANT_REJECT", "MERCHANT_NOT_CONFIRM", "PAYER_ACCOUNT_ABNORMAL", "PRODUCT_AUTH_CHECK_FAIL",
    "TRANSFER_QUOTA_EXCEED", "TRANSFER_REMARK_SET_FAIL", "TRANSFER_RISK", "TRANSFER_SCENE_INVALID",
    "TRANSFER_SCENE_UNAVAILABLE", "RECEIVE_ACCOUNT_NOT_CONFIGURE", "OTHER_FAIL_REASON_TYPE",
    "CANCELLED",  # the bill was cancelled (撤销) at the rail
    "PARAM_ERROR", "INVALID_REQUEST", "NO_AUTH",  # the submission was refused (HTTP 4xx)
)
# Answered with no bill: refused for certain (429 FREQUENCY_LIMITED, 403 NOT_ENOUGH) or unknown (SYSTEM_ERROR).
WECHAT_TRANSIENT = ("SYSTEM_ERROR", "FREQUENCY_LIMITED", "NOT_ENOUGH")

# Alipay alipay.fund.trans.uni.transfer sub_code / the notification's error_code.
ALIPAY_BUYER_FIXABLE = (
    "PAYEE_NOT_EXIST", "PAYEE_ACCOUNT_NOT_EXSIT", "PAYEE_USERINFO_STATUS_ERROR", "PAYEE_ACCOUNT_STATUS_ERROR",
    "PAYEE_USER_INFO_ERROR", "PAYEE_CERT_INFO_ERROR", "PAYEE_ACC_OCUPIED", "PAYEE_NOT_RELNAME_CERTIFY",
    "PAYEE_TRUSTEESHIP_ACC_OVER_LIMIT", "EXCEED_LIMIT_UNRN_DM_AMOUNT", "CARD_BIN_ERROR", "PAYEE_CARD_INFO_ERROR",
    "REFUND",  # a bank-card transfer came back (退票): the card is wrong
)
ALIPAY_TERMINAL = (
    "PERMIT_CHECK_PERM_LIMITED", "PAYER_PERMIT_CHECK_FAILURE", "EXCEED_LIMIT_SM_AMOUNT", "EXCEED_LIMIT_DM_AMOUNT",
    "EXCEED_LIMIT_MM_AMOUNT", "PAYER_STATUS_ERROR", "PAYER_USER_INFO_ERROR", "INVALID_PARAMETER",
    "MONEY_PAY_CLOSED", "PRODUCT_NOT_SIGN", "NO_ACCOUNT_RECEIVE_PERMISSION", "CLOSED",
)
ALIPAY_TRANSIENT = ("SYSTEM_ERROR", "PAYER_BALANCE_NOT_ENOUGH", "BALANCE_IS_NOT_ENOUGH", "REQUEST_PROCESSING")

RAIL_ERROR_CLASSES: dict[str, str] = {
    **{f"WECHAT_{c}": BUYER_FIXABLE for c in WECHAT_BUYER_FIXABLE},
    **{f"WECHAT_{c}": TERMINAL for c in WECHAT_TERMINAL},
    **{f"WECHAT_{c}": TRANSIENT for c in WECHAT_TRANSIENT},
    **{f"ALIPAY_{c}": BUYER_FIXABLE for c in ALIPAY_BUYER_FIXABLE},
    **{f"ALIPAY_{c}": TERMINAL for c in ALIPAY_TERMINAL},
    **{f"ALIPAY_{c}": TRANSIENT for c in ALIPAY_TRANSIENT},
}
