"""PAY-F06: 「严禁索要及添加消费者支付宝/微信/QQ 等账号」 (seed 001). A payout's reason or message to the buyer
that asks for an off-platform account or contact — 微信号, 加微信, QQ, 支付宝账号, a phone number to add — is
refused with `off_platform_contact` before anything is held: 诱导非官方交易 is a violation the platforms punish.

The text is compared after NFKC folding (full-width letters and digits, ＱＱ, ：), in lower case, without
spaces or the punctuation people put between characters to slip past a filter (加 微-信)."""

import re
import unicodedata

from core.errors import ApplicationError

from .errors import PayoutError

# An off-platform account: WeChat (and the spellings that dodge filters), QQ, Alipay, a phone.
_APP = r"(?:微信|威信|薇信|徽信|维信|vx|v信|wx|weixin|wechat|qq|扣扣|企鹅|支付宝|zfb|alipay)"
_PHONE = r"(?:手机号?|电话|联系方式)"
_PATTERNS = [
    # 加微信, 加我微信, 加个QQ, 加一下vx, 加V, 加好友
    re.compile(rf"加(?:我|个|下|一下|上|我的|你的|您的)?(?:{_APP}|v(?![a-z])|好友)"),
    # 微信号, QQ号, 支付宝账号 / 帐号 / 号码 / id, 微信：…
    re.compile(rf"{_APP}(?:号|账号|帐号|账户号|号码|id|名|[:=])"),
    # 支付宝发我一下, 微信是多少
    re.compile(rf"{_APP}.{{0,4}}(?:发我|发一下|发下|是多少|多少)"),
    # 留个微信, 发下你的支付宝, 告诉我QQ, 给个手机号
    re.compile(rf"(?:留|发|给|告诉|提供|报|私信|私聊|发送|填)(?:个|下|一下|我|我们|下你|一下你)*(?:你的|您的|你|您)?"
               rf"(?:{_APP}|{_PHONE})"),
    # 用微信/支付宝联系 / 转账, 微信联系, QQ聊
    re.compile(rf"{_APP}(?:联系|聊|私聊|沟通|转给?你|转账给你|加我)"),
    # a mainland mobile number (to add): 138 0013 8000
    re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)"),
]
_IGNORED = re.compile(r"[\s\-_·.,，。、~～*/|\\'\"“”‘’()（）\[\]【】]+")


def _fold(text: str) -> str:
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text or "").lower())


def off_platform_contact(*texts: str) -> bool:
    """Whether any of `texts` asks for an off-platform account or contact (PAY-F06)."""
    return any(p.search(_fold(t)) for t in texts for p in _PATTERNS)


def off_platform_contact_check(*, reason: str, buyer_message: str) -> None:
    """PAY-F06: refuse a reason or message that asks for an off-platform account (`off_platform_contact`)."""
    fields = [name for name, value in (("reason", reason), ("buyer_message", buyer_message))
              if off_platform_contact(value)]
    if fields:
        problem = ["asks for an off-platform account or contact (PAY-F06)"]
        raise ApplicationError(PayoutError.OFF_PLATFORM_CONTACT, extra={"fields": {f: problem for f in fields}})
