from core.errors import ErrorCode


class WorkbenchError:
    MAIN_ACCOUNT_ONLY = ErrorCode(
        "main_account_only", "仅主账号和客服管理员可以查看配额使用情况",
        "Only the main account and customer-service admins may see quota usage.", rule="RPT-02", status=403,
    )
    SHOP_REQUIRED = ErrorCode("shop_required", "请选择店铺", "Pick a shop (shop=<key>).", status=400)
    # A well-formed range the reports refuse: 422 (a malformed date is 400 `invalid`, naming the parameter).
    INVALID_RANGE = ErrorCode("invalid_date_range", "日期范围有误(起始不晚于结束,最多366天)",
                              "From no later than to, at most 366 days.", status=422)
