"""factory_boy factories, one per kind of row a test needs, so a test can make exactly its own data instead of
picking a magic demo order number. Rows are made as the product would leave them (a shop has its ledger
account; a payout, ticket or interception belongs to its order's shop and buyer) but through the ORM, not the
services: to test a rule, call the service on factory-made rows.

    shop = ShopFactory(funds=("100.00", "0.00", "50.00"))      # balance, frozen, deposit through the ledger
    main = UserFactory(shop=shop, token="tok-main")              # main account with an API token
    sub = SubAccountFactory(shop=shop, quota__per_payout=Decimal("50.00"))
    order = OrderFactory(shop=shop, parcels=1)                   # shipped, one item, one YTO parcel
    PayoutFactory(order=order), TicketFactory(order=order), InterceptionFactory(ticket__order=order)
"""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import PayoutQuota, PlatformProfile, Role, Shop, ShopAccount, User
from accounts.services import profiles_ensure_defaults, shop_account_sync
from aftersales.models import Ticket, TicketStatus, TicketType
from core.clock import shanghai_date
from logistics.models import Interception, InterceptionStatus, Outlet, Settlement
from orders.models import Category, Order, OrderItem, Parcel
from payouts.models import Payout, PayoutStatus, PayoutType


def _profile(code: str) -> PlatformProfile:
    profiles_ensure_defaults()
    return PlatformProfile.objects.get(code=code)


# --- shops and people ---------------------------------------------------------------------------------------

class ShopFactory(factory.django.DjangoModelFactory):
    """A normal enterprise Douyin shop (PinduoduoShopFactory for the other platform) with its ledger account.
    `funds=(balance, frozen, deposit)` syncs the figures through the ledger, as the scenario loader does."""

    class Meta:
        model = Shop
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"shop{n}")
    name = factory.Sequence(lambda n: f"测试小店{n}")
    profile = factory.LazyFunction(lambda: _profile("douyin"))

    @factory.post_generation
    def account(obj, create, extracted, **kwargs):
        if create:
            ShopAccount.objects.get_or_create(shop=obj)

    @factory.post_generation
    def funds(obj, create, extracted, **kwargs):
        if create and extracted:
            balance, frozen, deposit = (None if v is None else Decimal(v) for v in extracted)
            shop_account_sync(shop=obj, balance=balance, frozen=frozen, deposit=deposit)


class PinduoduoShopFactory(ShopFactory):
    profile = factory.LazyFunction(lambda: _profile("pinduoduo"))


class UserFactory(factory.django.DjangoModelFactory):
    """A shop's main account (password "pw"); `token="…"` gives it that API token."""

    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.MAIN
    shop = factory.SubFactory(ShopFactory)
    password = factory.django.Password("pw")

    @factory.post_generation
    def token(obj, create, extracted, **kwargs):
        if create and extracted:
            from accounts.services import api_token_install

            api_token_install(user=obj, key=extracted)  # stored as a digest only (SEC-02)


MainAccountFactory = UserFactory


class CsAdminFactory(UserFactory):
    role = Role.CS_ADMIN


class QuotaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PayoutQuota

    user = factory.SubFactory("tests.factories.SubAccountFactory")
    shop = factory.SelfAttribute("user.shop")
    per_payout = Decimal("50.00")
    daily = Decimal("200.00")
    enabled = True


class SubAccountFactory(UserFactory):
    """A sub-account; `quota=True` (or `quota__per_payout=…`) gives it a payout quota."""

    role = Role.SUB

    @factory.post_generation
    def quota(obj, create, extracted, **kwargs):
        if create and (extracted or kwargs):
            QuotaFactory(user=obj, **kwargs)


class PlatformStaffFactory(UserFactory):
    role = Role.PLATFORM
    shop = None


class BuyerFactory(UserFactory):
    role = Role.BUYER
    shop = None


class OutletFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outlet
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"outlet{n}")
    courier = "yto"
    name = factory.Sequence(lambda n: f"测试网点{n}")


class OutletUserFactory(UserFactory):
    role = Role.OUTLET
    shop = None
    outlet = factory.SubFactory(OutletFactory)


# --- orders and parcels -------------------------------------------------------------------------------------

class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "smart_home"
    reship_enabled = True


TRACKING_PREFIX = {"yto": "YT", "jt": "JT"}


class ParcelFactory(factory.django.DjangoModelFactory):
    """A parcel in transit; the tracking number fits its courier (YT/JT + 13 digits)."""

    class Meta:
        model = Parcel

    order = factory.SubFactory("tests.factories.OrderFactory")
    courier = "yto"
    tracking_no = factory.LazyAttributeSequence(lambda p, n: f"{TRACKING_PREFIX[p.courier]}{9000000000000 + n}")
    status = Parcel.Status.IN_TRANSIT


class OrderFactory(factory.django.DjangoModelFactory):
    """A shipped Douyin order of two days ago: one item (2 × 150.00), paid 300.00; `parcels=N` adds N parcels."""

    class Meta:
        model = Order
        skip_postgeneration_save = True

    order_no = factory.Sequence(lambda n: f"T{100000 + n}")
    shop = factory.SubFactory(ShopFactory)
    buyer = factory.SubFactory(BuyerFactory)
    source_app = Order.SourceApp.DOUYIN
    status = Order.Status.SHIPPED
    category = factory.SubFactory(CategoryFactory)
    created_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=2))
    paid_at = factory.SelfAttribute("created_at")
    paid_amount = Decimal("300.00")

    @factory.post_generation
    def items(obj, create, extracted, **kwargs):
        if create:
            OrderItem.objects.create(order=obj, product_id="P1", name="台灯", price=Decimal("150.00"), quantity=2)

    @factory.post_generation
    def parcels(obj, create, extracted, **kwargs):
        if create and extracted:
            for _ in range(int(extracted)):
                ParcelFactory(order=obj, **kwargs)


# --- payouts, tickets, interceptions ------------------------------------------------------------------------

class PayoutFactory(factory.django.DjangoModelFactory):
    """A pending balance payout of 10.00 (shipping fee) made now by the order's shop's main account."""

    class Meta:
        model = Payout

    order = factory.SubFactory(OrderFactory)
    shop = factory.SelfAttribute("order.shop")
    type = PayoutType.SHIPPING_FEE
    amount = Decimal("10.00")
    status = PayoutStatus.PENDING
    reason = "运费补偿"
    buyer_message = "已为您补运费"
    applicant = factory.SubFactory(UserFactory, shop=factory.SelfAttribute("..shop"))
    created_at = factory.LazyFunction(timezone.now)
    day = factory.LazyAttribute(lambda p: shanghai_date(p.created_at))
    close_at = factory.LazyAttribute(lambda p: p.created_at + dt.timedelta(days=p.shop.profile.close_after_days))


class TicketFactory(factory.django.DjangoModelFactory):
    """A refund-only ticket awaiting the merchant, filed now by the order's buyer."""

    class Meta:
        model = Ticket

    order = factory.SubFactory(OrderFactory)
    shop = factory.SelfAttribute("order.shop")
    buyer = factory.SelfAttribute("order.buyer")
    type = TicketType.REFUND_ONLY
    status = TicketStatus.PENDING_MERCHANT
    reason = "不想要了"
    created_at = factory.LazyFunction(timezone.now)
    updated_at = factory.SelfAttribute("created_at")


class InterceptionFactory(factory.django.DjangoModelFactory):
    """A requested online interception of a parcel of the ticket's order."""

    class Meta:
        model = Interception

    ticket = factory.SubFactory(TicketFactory)
    shop = factory.SelfAttribute("ticket.shop")
    parcel = factory.SubFactory(ParcelFactory, order=factory.SelfAttribute("..ticket.order"))
    tracking_no = factory.SelfAttribute("parcel.tracking_no")
    courier = factory.SelfAttribute("parcel.courier")
    outlet = factory.SelfAttribute("parcel.outlet")
    settlement = Settlement.ONLINE
    platform_fee = Decimal("2.00")
    status = InterceptionStatus.REQUESTED
    created_at = factory.LazyFunction(timezone.now)
