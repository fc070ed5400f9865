"""Hostile input answers 4xx in the API's error shape and changes nothing (SEC-04); amounts are strict (SEC-05);
exports quote formula starts, full-width too."""

from decimal import Decimal

import pytest

from core.export import spreadsheet_safe
from core.money import parse_money


@pytest.mark.parametrize("wire", ["1E2", "1e2", "１.００", "１２", "NaN", "-Infinity", "1,000", "12.", ".5", "0x10",
                                  Decimal("1E+2"), 1.5])
def test_sec05_amounts_refuse_exponents_full_width_and_specials(wire):
    """SEC-05: exponents, full-width digits, NaN and infinities are not amounts."""
    with pytest.raises(ValueError):
        parse_money(wire)


@pytest.mark.parametrize(("wire", "expected"), [("12.50", "12.50"), ("12.5", "12.50"), (12, "12.00"),
                                                (Decimal("12.5"), "12.50")])
def test_sec05_amounts_accept_plain_decimals(wire, expected):
    """SEC-05: "12.50", 12.5 (read as a Decimal by the API's parser) and whole numbers are amounts."""
    assert parse_money(wire) == Decimal(expected)


@pytest.mark.parametrize("text", ["=7+7", "＝7+7", "＋1", "－1", "＠SUM(A1)", "@x", "\tx"])
def test_sec05_exports_quote_formula_starts_full_width_too(text):
    """SEC-05: a full-width ＝7+7 is quoted like =7+7 in CSV/XLSX exports."""
    assert spreadsheet_safe(text) == "'" + text


def test_sec04_exports_leave_plain_text_alone():
    assert spreadsheet_safe("好评返现") == "好评返现"
    assert spreadsheet_safe(12) == 12


def test_sec04_deeply_nested_json_is_400_invalid(demo, api):
    """SEC-04: '[' * 5000 on an authenticated POST answers 400 invalid, not a RecursionError 500."""
    client = api("tok-dy_admin")
    for body in ("[" * 5000, '{"a":' * 5000 + "1" + "}" * 5000, "[" * 40 + "]" * 40, "NaN"):
        response = client.post("/api/v1/payouts/", data=body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert response.json()["code"] == "invalid"


def test_sec04_oversized_body_answers_the_api_error_shape(demo, api, settings):
    """SEC-04: a body over the upload limit answers 413 payload_too_large in the API's shape, not HTML."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = api("tok-dy_admin")
    response = client.post("/api/v1/payouts/", data='{"x": "' + "a" * 5000 + '"}', content_type="application/json",
                           HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 413, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "payload_too_large"


@pytest.mark.parametrize("wire", ["1E2", "１.００", "NaN", "Infinity"])
def test_sec05_admin_amount_fields_refuse_what_the_api_refuses(wire):
    """SEC-05: the admin forms' amount fields parse like the API: exponents, full-width digits, NaN are invalid
    (the payout form's field too, which leaves only the number of places to the service's PAY-L10)."""
    from django.core.exceptions import ValidationError

    from core.money import money_form_field

    for field in (money_form_field(), money_form_field(places_checked_by_service=True)):
        with pytest.raises(ValidationError):
            field.clean(wire)
    assert money_form_field(places_checked_by_service=True).clean("0.001") == Decimal("0.001")
    assert money_form_field().clean("12.5") == Decimal("12.50")


@pytest.mark.parametrize("amount", ["1E2", "1e1", "１.００", "NaN", "Infinity", "2.505"])
def test_sec05_api_amounts_refuse_exponents_and_full_width_and_create_nothing(demo, api, amount):
    """SEC-05: `"1E2"` once created a 100.00 payout; now it, full-width digits, NaN and infinities are 400
    `invalid` on the amount field, and nothing is created."""
    from payouts.models import Payout
    from tests.payouts.api_support import PDD_BODY

    response = api("tok-pdd_admin").post("/api/v1/payouts/", {**PDD_BODY, "amount": amount}, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid" and "amount" in response.json()["fields"]
    assert not Payout.objects.exists()


def test_sec05_api_amounts_accept_a_json_number_with_a_fraction(demo, api):
    """SEC-05: 5.5 as a JSON number is read as a Decimal (core.parsers), never through a float."""
    from tests.payouts.api_support import PDD_BODY

    body = f'{{"order_no": "{PDD_BODY["order_no"]}", "type": "{PDD_BODY["type"]}", "amount": 5.5, "reason": "r", ' \
           '"buyer_message": "m"}'

    response = api("tok-pdd_admin").post("/api/v1/payouts/", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "5.50"
