"""factory_boy factories for the foundation's models. Shops get an account row through the ledger."""

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from accounts.models import PlatformProfile, Role, Shop, ShopAccount, User
from accounts.services import profiles_ensure_defaults
from orders.models import Category, Order, OrderItem


class ShopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shop
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"shop{n}")
    name = factory.Sequence(lambda n: f"测试小店{n}")
    profile = factory.LazyFunction(lambda: profiles_ensure_defaults() or PlatformProfile.objects.get(code="douyin"))

    @factory.post_generation
    def account(obj, create, extracted, **kwargs):
        if create:
            ShopAccount.objects.get_or_create(shop=obj)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.MAIN
    shop = factory.SubFactory(ShopFactory)
    password = factory.django.Password("pw")


class BuyerFactory(UserFactory):
    role = Role.BUYER
    shop = None


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "smart_home"
    reship_enabled = True


class OrderFactory(factory.django.DjangoModelFactory):
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
    paid_amount = Decimal("300.00")

    @factory.post_generation
    def items(obj, create, extracted, **kwargs):
        if create:
            OrderItem.objects.create(order=obj, product_id="P1", name="台灯", price=Decimal("150.00"), quantity=2)
