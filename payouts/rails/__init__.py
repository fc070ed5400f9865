"""Real payment rails behind `payouts.provider.PaymentProvider`: WeChat Pay 商家转账 (API v3) and Alipay
单笔转账 (`alipay.fund.trans.uni.transfer`), chosen per shop (`ShopRail`, set by platform staff in the admin,
credentials sealed with Fernet). `payouts.provider.provider_for(shop_id)` asks `configured_provider` first and
falls back to the default provider (the sandbox) when the shop has no rail configured.

docs/payment-rails.md: configuration, the state and failure mapping tables, the fakes.
"""


def configured_provider(shop_id: int | None, shop=None):
    """The shop's rail router, or None when the shop uses the default provider (the sandbox). `shop`: a shop row
    whose `payment_rail` was select_related (no read here then)."""
    if shop_id is None:
        return None
    from .models import Rail, ShopRail
    from .router import ShopRailProvider

    if shop is not None and "payment_rail" in shop._state.fields_cache:
        config = shop._state.fields_cache["payment_rail"]
        config = config if config is not None and config.enabled else None
    else:
        config = ShopRail.objects.filter(shop_id=shop_id, enabled=True).first()
    if config is None or (config.rail == Rail.SANDBOX and config.card_rail in ("", Rail.SANDBOX)):
        return None
    return ShopRailProvider(config)
