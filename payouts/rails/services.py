"""The one write of a shop's rail settings: `rail_config_set` (platform staff), which records who changed what
in the same transaction (`ShopRailChange`) — every setting from → to, and for a credential only that it was
replaced and its fingerprint, never the secret. The admin and the `rail_fake` command call it."""

from django.db import transaction

from accounts.models import Shop, User
from core.clock import now
from core.errors import ApplicationError, CommonError

from .errors import RailError
from .models import SECRET_FIELDS, ShopRail, ShopRailChange

# The settings a change is recorded for (the credentials separately, by fingerprint).
SETTINGS = ("enabled", "rail", "card_rail", "notify_base_url", "wechat_base_url", "wechat_mch_id", "wechat_appid",
            "wechat_cert_serial", "wechat_public_key_id", "wechat_transfer_scene_id", "alipay_base_url",
            "alipay_app_id", "alipay_sign_mode", "alipay_app_cert", "alipay_public_cert", "alipay_root_cert")


def _shown(value) -> str | bool:
    return value if isinstance(value, bool) else str(value or "")


@transaction.atomic
def rail_config_set(*, shop: Shop, actor: User | None, values: dict, secrets: dict[str, str] | None = None,
                    clear: tuple[str, ...] = ()) -> ShopRail:
    """Set or change `shop`'s rail: `values` (settings of SETTINGS), `secrets` (a credential given replaces the
    stored one; empty keeps it), `clear` (credentials to remove). Platform staff only (`actor` None: a
    management command). An enabled rail must be complete (`rail_config_incomplete`). Under the row's lock,
    with one `ShopRailChange` row when anything changed."""
    if actor is not None and not (actor.is_superuser or actor.is_platform_staff):
        raise ApplicationError(CommonError.PERMISSION_DENIED)
    Shop.objects.select_for_update().only("pk").get(pk=shop.pk)  # a first setting of one shop at a time
    config = ShopRail.objects.select_for_update().filter(shop=shop).first()
    created = config is None
    if created:
        config = ShopRail(shop=shop)
    before = {name: getattr(config, name) for name in SETTINGS}
    for name, value in values.items():
        if name in SETTINGS:
            setattr(config, name, value)
    if clear:
        config.clear_secrets([n for n in clear if n in SECRET_FIELDS])
    replaced = config.set_secrets(secrets or {})
    if config.enabled and (missing := config.missing()):
        raise ApplicationError(RailError.RAIL_CONFIG_INCOMPLETE, {"names": ", ".join(missing)})
    changes = [{"field": name, "from": _shown(before[name]), "to": _shown(getattr(config, name))}
               for name in SETTINGS if before[name] != getattr(config, name)]
    secret_changes = [{"field": name, "fingerprint": config.secrets_info[name]["fingerprint"]} for name in replaced]
    secret_changes += [{"field": name, "cleared": True} for name in clear if name in SECRET_FIELDS]
    if not (created or changes or secret_changes):
        return config
    at = now()
    config.updated_at = at
    config.save()
    ShopRailChange.objects.create(shop=shop, config=config, actor=actor, at=at, created=created, changes=changes,
                                  secrets=secret_changes)
    return config
