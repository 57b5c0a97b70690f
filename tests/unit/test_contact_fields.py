"""Postnummer, phone and email: the ways people write them, and the one form each is stored in."""

from __future__ import annotations

import pytest

from eservices.fields import REGISTRY


def shown(type_name: str, value: str) -> str:
    return REGISTRY[type_name].display({}, value, "sv", lambda message: message)


@pytest.mark.parametrize("written", ["66430", "664 30", "SE-664 30", "se-66430", "S-664 30", "SE66430"])
def test_postnummer_is_stored_as_three_and_two_digits(parse, written) -> None:
    assert parse("postnummer", written) == "664 30"


@pytest.mark.parametrize("written", ["06430", "6643", "abcde", "664301", "664 3O", "DK-664 30", "664  30", "664-30x"])
def test_postnummer_that_cannot_exist_is_refused(refuse, written) -> None:
    assert refuse("postnummer", written).code == "invalid_postnummer"


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("070-123 45 67", "+46701234567"),
        ("0701234567", "+46701234567"),
        ("+46 70 123 45 67", "+46701234567"),
        ("+46 (0)70 123 45 67", "+46701234567"),
        ("0046 70 123 45 67", "+46701234567"),
        ("0046701234567", "+46701234567"),
        ("08-123 456 78", "+46812345678"),
        ("08/123 456 78", "+46812345678"),
        ("031-12 34 56", "+4631123456"),
        ("0554-123 45", "+4655412345"),
    ],
)
def test_swedish_phone_numbers_are_stored_with_country_code(parse, written, stored) -> None:
    assert parse("phone", written) == stored


@pytest.mark.parametrize(
    "written",
    [
        "12345",
        "070-ABC 45 67",
        "ring mig",
        "+47 912 34 567",
        "0047 912 34 567",
        "+45 12 34 56 78",
        "+358 40 123 4567",
        "070-12",
        "070-123 45 67 89 01",
        "+46",
    ],
)
def test_other_phone_numbers_are_refused(refuse, written) -> None:
    assert refuse("phone", written).code == "invalid_phone"


@pytest.mark.parametrize(
    ("stored", "national"),
    [("+46701234567", "070-123 45 67"), ("+46812345678", "08-123 456 78"), ("+4631123456", "031123456")],
)
def test_phone_is_shown_in_national_form(stored, national) -> None:
    assert shown("phone", stored) == national
    assert REGISTRY["phone"].to_form({}, stored) == [national]


def test_a_service_number_is_not_shown_as_a_mobile_number() -> None:
    """0771 numbers (Skatteverket's 0771-567 567, for one) are not mobiles: the area code 0771 must stay whole.

    Shown as ``077-156 75 67`` on a receipt, the number looks like a mobile with an area code that does not exist.
    """
    assert not shown("phone", "+46771567567").startswith("077-")
    assert shown("phone", "+46771567567").replace(" ", "").replace("-", "") == "0771567567"


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("anna.svensson@example.se", "anna.svensson@example.se"),
        ("Anna.Svensson@Kommun.SE", "Anna.Svensson@kommun.se"),
        ("anna+felanmalan@mail.example.com", "anna+felanmalan@mail.example.com"),
        ("åsa@exempel.se", "åsa@exempel.se"),
        ("o'brien@example.ie", "o'brien@example.ie"),
    ],
)
def test_email_is_accepted_with_the_domain_in_lower_case(parse, written, stored) -> None:
    assert parse("email", written) == stored


@pytest.mark.parametrize(
    "written",
    [
        "anna",
        "anna@",
        "@kommun.se",
        "anna@kommun",
        "anna@@kommun.se",
        "anna@kom@mun.se",
        "an na@kommun.se",
        "anna@kommun..se",
        "anna@kommun.s",
        ".anna@kommun.se",
        "anna.@kommun.se",
        "an..na@kommun.se",
        "anna@-kommun.se",
        "anna@kommun-.se",
        "anna@kommun.se.",
        "anna@[kommun].se",
        "a" * 65 + "@kommun.se",
        "anna@" + "k" * 250 + ".se",
    ],
)
def test_email_that_is_not_an_address_is_refused(refuse, written) -> None:
    assert refuse("email", written).code == "invalid_email"


def test_digits_from_arabic_and_persian_keyboards_are_read_as_digits(parse) -> None:
    assert parse("phone", "٠٧٠-١٢٣ ٤٥ ٦٧") == "+46701234567"
    assert parse("postnummer", "۶۶۴ ۳۰") == "664 30"
    assert parse("personnummer", "٨١١٢١٨-٩٨٧٦") == "198112189876"
