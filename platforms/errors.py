from core.errors import ErrorCode


class PlatformsError:
    PLATFORM_MISMATCH = ErrorCode(
        "platform_mismatch", "店铺所属平台与授权平台不一致", "The shop belongs to another platform.", rule="CON-01",
        status=400,
    )
    NOT_CONNECTED = ErrorCode(
        "platform_not_connected", "店铺尚未授权或授权已失效", "The shop is not connected to its platform.",
        rule="CON-03", status=409,
    )
    AUTH_REFUSED = ErrorCode(
        "platform_auth_refused", "平台拒绝授权：{message}", "The platform refused the authorization: {message}",
        rule="CON-01", status=400,
    )
    PLATFORM_FAILED = ErrorCode(
        "platform_failed", "平台接口调用失败：{message}", "The platform call failed: {message}", rule="CON-06",
        status=502,
    )
    STATE_INVALID = ErrorCode(
        "authorization_state_invalid", "授权回调无效或已过期，请重新发起授权",
        "The authorization answer is invalid or expired; start again.", rule="CON-01", status=400,
    )
    PUSH_SIGNATURE = ErrorCode(
        "push_signature_invalid", "推送签名无效", "The push signature is invalid.", rule="CON-05", status=401,
    )
    PUSH_BODY = ErrorCode("push_body_invalid", "推送内容无效", "The push body is invalid.", rule="CON-05", status=400)
