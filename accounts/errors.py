from core.errors import ErrorCode


class AccountError:
    TOKEN_TAKEN = ErrorCode("token_taken", "该令牌已属于其他用户", "This token belongs to another user.", status=409)
    LEDGER_BALANCE_NEGATIVE = ErrorCode(
        "insufficient_balance", "货款账户可用余额不足", "The shop's available balance is too low.", status=422
    )
    QUOTA_MAIN_ONLY = ErrorCode(
        "quota_main_account_only",
        "仅主账号可设置客服打款配额",
        "Only the shop's main account may set payout quotas.",
        status=403,
    )
    QUOTA_NOT_SUB_ACCOUNT = ErrorCode(
        "quota_not_sub_account", "只能为本店子账号设置打款配额", "Quotas are set for the shop's sub-accounts only."
    )
    QUOTA_INVALID = ErrorCode(
        "invalid_amount", "配额金额须为正数且最多两位小数", "Limits must be positive with at most two decimals."
    )
