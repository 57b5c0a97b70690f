"""Personnummer and samordningsnummer: the forms people write, check digits, dates and centuries.

Valid check digits are computed here with a Luhn implementation of the test's own (read from the right,
as the algorithm is usually described), never with the module's function.
"""

from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest

from eservices.fields import FieldError
from eservices.fields.personnummer import format_personnummer, mask_personnummer


def luhn_complete(nine: str) -> str:
    """``nine`` digits followed by the check digit that makes the ten pass the Luhn test."""
    total = 0
    for position, char in enumerate(reversed(nine)):
        doubled = int(char) * (2 if position % 2 == 0 else 1)
        total += doubled // 10 + doubled % 10
    return nine + str((10 - total % 10) % 10)


def luhn_ok(ten: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(ten)):
        digit = int(char) * (2 if position % 2 == 1 else 1)
        total += digit // 10 + digit % 10
    return total % 10 == 0


def test_the_test_luhn_agrees_with_published_numbers() -> None:
    # Skatteverket's classic example, the well-known test number, and the worked example on personnummer.info.
    assert luhn_complete("811218987") == "8112189876"
    assert luhn_complete("121212121") == "1212121212"
    assert luhn_complete("640823323") == "6408233234"
    assert luhn_ok("8112189876")
    assert not luhn_ok("8112189875")


@pytest.mark.parametrize(
    "written",
    ["811218-9876", "8112189876", "19811218-9876", "198112189876", "811218 9876", "1981 12 18-9876"],
)
def test_every_usual_way_of_writing_is_stored_as_twelve_digits(parse, written) -> None:
    assert parse("personnummer", written) == "198112189876"


def test_the_public_test_number_with_century(parse) -> None:
    assert parse("personnummer", "19121212-1212") == "191212121212"


def test_ten_digits_mean_the_most_recent_century_that_is_not_in_the_future(parse) -> None:
    # On 2026-11-27, 121212 is 2012, a child, not 1912; 991231 is 1999.
    assert parse("personnummer", "121212-1212") == "201212121212"
    ten = luhn_complete("991231123")
    assert parse("personnummer", f"{ten[:6]}-{ten[6:]}") == "19" + ten


def test_a_birthday_later_this_year_belongs_to_the_previous_century(parse) -> None:
    # 2026-11-28 is tomorrow: with a hyphen, 261128 is someone who turns 100 tomorrow.
    number = luhn_complete("261128123")
    assert parse("personnummer", f"{number[:6]}-{number[6:]}", today=date(2026, 11, 27)) == "19" + number


def test_someone_born_today_is_accepted(parse) -> None:
    number = luhn_complete("261127123")
    assert parse("personnummer", f"{number[:6]}-{number[6:]}", today=date(2026, 11, 27)) == "20" + number


def test_plus_sign_means_a_hundred_years_or_more(parse) -> None:
    number = luhn_complete("200101123")
    assert parse("personnummer", f"{number[:6]}+{number[6:]}") == "19" + number
    # 121212+1212: the test number's owner, born 1912, written the way a centenarian's number is written.
    assert parse("personnummer", "121212+1212") == "191212121212"


def test_plus_sign_on_the_hundredth_birthday(parse) -> None:
    number = luhn_complete("261127123")
    assert parse("personnummer", f"{number[:6]}+{number[6:]}", today=date(2026, 11, 27)) == "19" + number


def test_plus_sign_in_the_year_someone_turns_a_hundred(parse) -> None:
    """Skatteverket writes ``+`` from the *year* a person turns 100 (18 § andra stycket folkbokföringslagen).

    On 2026-03-01, ``260615+NNNC`` is someone born 1926-06-15 who turns 100 this June: their own
    personbevis shows the plus sign. Their birth year is 1926, not 1826.
    """
    number = luhn_complete("260615123")
    stored = parse("personnummer", f"{number[:6]}+{number[6:]}", today=date(2026, 3, 1))
    assert stored == "19" + number, f"born 1926-06-15 and turning 100 this year, stored as born {stored[:4]}"


def test_many_generated_numbers_round_trip_in_every_form(parse, today) -> None:
    rng = random.Random(20261127)
    for _ in range(300):
        born = today - timedelta(days=rng.randrange(0, 99 * 365))
        serial = f"{rng.randrange(0, 1000):03d}"
        ten = luhn_complete(born.strftime("%y%m%d") + serial)
        twelve = born.strftime("%Y") + ten[2:]
        for written in (f"{ten[:6]}-{ten[6:]}", ten, twelve, f"{twelve[:8]}-{twelve[8:]}"):
            assert parse("personnummer", written) == twelve, written
    for _ in range(50):
        born = date(1900, 1, 1) + timedelta(days=rng.randrange(0, 25 * 365))
        ten = luhn_complete(born.strftime("%y%m%d") + f"{rng.randrange(0, 1000):03d}")
        assert parse("personnummer", f"{ten[:6]}+{ten[6:]}") == born.strftime("%Y") + ten[2:]


@pytest.mark.parametrize("valid", ["8112189876", "1212121212", "6408233234", luhn_complete("000101000")])
def test_every_wrong_check_digit_is_refused(refuse, valid) -> None:
    for wrong in "0123456789":
        if wrong == valid[-1]:
            continue
        assert refuse("personnummer", f"{valid[:6]}-{valid[6:9]}{wrong}").code == "personnummer_check_digit"


def test_a_mistyped_digit_is_refused(refuse) -> None:
    # 811218-9876 with the day and a serial digit swapped: the check digit catches both.
    assert refuse("personnummer", "811281-9876").code == "personnummer_check_digit"
    assert refuse("personnummer", "811218-9786").code == "personnummer_check_digit"


@pytest.mark.parametrize(
    ("payload", "expected"),
    [("20000229123", True), ("19000229123", False), ("20240229123", True), ("20230229123", False)],
)
def test_leap_days(parse, refuse, payload, expected) -> None:
    twelve = payload[:2] + luhn_complete(payload[2:])
    if expected:
        assert parse("personnummer", twelve) == twelve
    else:
        assert refuse("personnummer", twelve).code == "personnummer_date"


def test_the_century_decides_whether_a_ten_digit_leap_day_exists(parse, refuse) -> None:
    ten = luhn_complete("000229123")
    assert parse("personnummer", f"{ten[:6]}-{ten[6:]}") == "20" + ten
    # With +, 000229 is 1900-02-29, which never was.
    assert refuse("personnummer", f"{ten[:6]}+{ten[6:]}").code == "personnummer_date"


@pytest.mark.parametrize(
    "birth",
    ["811318", "811232", "811200", "810018", "810231", "810431", "811250"],
    ids=["month-13", "day-32", "day-00", "month-00", "feb-31", "apr-31", "day-50"],
)
def test_impossible_dates_are_refused(refuse, birth) -> None:
    assert refuse("personnummer", luhn_complete(birth + "123")).code == "personnummer_date"


def test_a_birth_date_in_the_future_is_refused(refuse) -> None:
    tomorrow = "20" + luhn_complete("261128123")
    assert refuse("personnummer", tomorrow, today=date(2026, 11, 27)).code == "personnummer_date"
    assert refuse("personnummer", "20" + luhn_complete("400101123")).code == "personnummer_date"


@pytest.mark.parametrize(
    "written",
    ["", "12345", "81121-89876", "811218--9876", "811218/9876", "abcdef-ghij", "1981121898760", "811218-987"],
)
def test_malformed_input_is_refused(refuse, written) -> None:
    assert refuse("personnummer", written).code == "invalid_personnummer"


def test_samordningsnummer_has_sixty_added_to_the_day(parse, refuse) -> None:
    ten = luhn_complete("811278123")  # born 1981-12-18
    assert parse("personnummer", f"{ten[:6]}-{ten[6:]}") == "19" + ten
    assert parse("personnummer", "19" + ten) == "19" + ten
    new_years_eve = luhn_complete("811291123")  # 1981-12-31
    assert parse("personnummer", new_years_eve) == "19" + new_years_eve
    # 1981-02-31 does not exist, so neither does day 91 of February.
    assert refuse("personnummer", luhn_complete("810291123")).code == "personnummer_date"


def test_samordningsnummer_refused_when_the_field_does_not_take_them(parse, refuse) -> None:
    spec = {"samordningsnummer": False}
    ten = luhn_complete("811278123")
    assert refuse("personnummer", ten, spec).code == "samordningsnummer_not_allowed"
    assert refuse("personnummer", "19" + ten, spec).code == "samordningsnummer_not_allowed"
    # An ordinary personnummer is still fine.
    assert parse("personnummer", "811218-9876", spec) == "198112189876"


def test_day_sixty_is_neither_a_date_nor_a_samordningsnummer(refuse) -> None:
    assert refuse("personnummer", luhn_complete("811260123")).code == "personnummer_date"


def test_stored_value_is_twelve_ascii_digits_even_from_an_arabic_keyboard(parse) -> None:
    """Phones with an Arabic keyboard type Arabic-Indic digits; the stored value must still be ``[0-9]{12}``.

    Either refusing the input or converting it is acceptable; storing a mix of scripts is not (case systems,
    masking and matching on the 12 digits all break).
    """
    try:
        stored = parse("personnummer", "٨١١٢١٨-٩٨٧٦")
    except FieldError:
        return
    assert re.fullmatch(r"[0-9]{12}", stored), f"stored {stored!r}"


def test_shown_with_century_and_hyphen_and_masked_for_lists() -> None:
    assert format_personnummer("198112189876") == "19811218-9876"
    assert mask_personnummer("198112189876") == "19811218-****"
