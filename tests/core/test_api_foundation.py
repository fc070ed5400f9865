"""The REST foundation: token auth, the error shape of API.md, the schema and shop/balance."""

from decimal import Decimal

import pytest
from django.urls import path
from rest_framework import serializers
from rest_framework.views import APIView

from accounts.models import LedgerEntry
from accounts.services import ledger_post
from core.errors import ApplicationError, ErrorCode
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    """A Douyin shop (balance 20000.00, frozen 500.00, deposit 2000.00) with its main account and a
    sub-account, a Pinduoduo shop (deposit 2000.00) with its main account, a buyer, platform staff and an outlet user: each
    holds an API token `tok-<name>`."""
    dy = f.ShopFactory(key="dy", funds=("20000.00", "500.00", "2000.00"))
    pdd = f.PinduoduoShopFactory(key="pdd", funds=(None, None, "2000.00"))
    return {
        "dy_admin": f.UserFactory(shop=dy, token="tok-dy_admin"),
        "dy_cs1": f.SubAccountFactory(shop=dy, token="tok-dy_cs1"),
        "pdd_admin": f.UserFactory(shop=pdd, token="tok-pdd_admin"),
        "buyer": f.BuyerFactory(token="tok-buyer"),
        "ops": f.PlatformStaffFactory(token="tok-ops"),
        "outlet_user": f.OutletUserFactory(token="tok-outlet_user"),
    }

# A made-up refusal: this file checks the error plumbing, not any rule of the specification.
SAMPLE = ErrorCode("sample_cap_exceeded", "示例：累计金额最高{cap}元", "Sample: the total is at most {cap}.", rule="SAMPLE-1")


class RaisingApi(APIView):
    class InputSerializer(serializers.Serializer):
        amount = serializers.DecimalField(max_digits=14, decimal_places=2)

    def post(self, request):
        self.InputSerializer(data=request.data).is_valid(raise_exception=True)
        raise ApplicationError(SAMPLE, params={"cap": "500.00"})


urlpatterns = [path("raise/", RaisingApi.as_view())]


def test_service_errors_leave_as_code_messages_and_rule(people, api, settings):
    settings.ROOT_URLCONF = __name__
    response = api("tok-dy_admin").post("/raise/", {"amount": "10.00"}, format="json")
    assert response.status_code == 422
    assert response.json() == {
        "code": "sample_cap_exceeded",
        "message": "示例：累计金额最高500.00元",
        "message_en": "Sample: the total is at most 500.00.",
        "rule": "SAMPLE-1",
    }


def test_malformed_input_is_400_invalid_with_fields(people, api, settings):
    settings.ROOT_URLCONF = __name__
    response = api("tok-dy_admin").post("/raise/", {"amount": "lots"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and "amount" in body["fields"]
    broken = api("tok-dy_admin").post("/raise/", "{not json", content_type="application/json")
    assert broken.status_code == 400 and broken.json()["code"] == "invalid"


def test_no_token_or_a_wrong_one_is_401_in_the_error_shape(people, api):
    for client in (api(), api("tok-nobody")):
        response = client.get("/api/v1/shop/balance/")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


def test_shop_balance_shows_funds_with_available_and_a_negative_deposit(people, api):
    dy = api("tok-dy_cs1").get("/api/v1/shop/balance/").json()
    assert dy == {"shop": "dy", "balance": "20000.00", "frozen": "500.00", "available": "19500.00", "deposit": "2000.00",
                  "paid_out_today": "0.00"}
    pdd = people["pdd_admin"].shop
    ledger_post(shop_id=pdd.pk, kind=LedgerEntry.Kind.PLATFORM_ADVANCE, deposit=Decimal("-2100.00"))
    assert api("tok-pdd_admin").get("/api/v1/shop/balance/").json()["deposit"] == "-100.00"


@pytest.mark.parametrize("token", ["tok-buyer", "tok-ops", "tok-outlet_user"])
def test_shop_balance_is_for_shop_people_only(people, api, token):
    response = api(token).get("/api/v1/shop/balance/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_openapi_schema_and_docs_are_served(people, api):
    schema = api("tok-dy_admin").get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/shop/balance/" in paths and "/api/v1/orders/{order_no}/" in paths
    assert api("tok-dy_admin").get("/api/v1/docs/").status_code == 200


def test_unknown_method_answers_in_the_error_shape(people, api):
    response = api("tok-dy_admin").delete("/api/v1/shop/balance/")
    assert response.status_code == 405 and response.json()["code"] == "method_not_allowed"
