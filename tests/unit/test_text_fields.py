"""Short and long text, and information text that asks nothing."""

from __future__ import annotations

from eservices.fields import REGISTRY


def test_short_text_is_one_line(parse) -> None:
    assert parse("text", "Storgatan\r\n  12") == "Storgatan 12"
    assert parse("text", "Anna\tSvensson") == "Anna Svensson"


def test_short_text_length_limits(parse, refuse) -> None:
    assert parse("text", "x" * 200) == "x" * 200
    error = refuse("text", "x" * 201)
    assert error.code == "too_long"
    assert error.params == {"max": 200, "length": 201}
    assert refuse("text", "abcdef", {"max_length": 5}).code == "too_long"
    short = refuse("text", "ab", {"min_length": 3})
    assert short.code == "too_short"
    assert short.params == {"min": 3}
    assert parse("text", "abc", {"min_length": 3}) == "abc"


def test_long_text_keeps_lines_and_stores_unix_line_ends(parse) -> None:
    assert parse("textarea", "Hej!\r\n\r\nLampan är trasig.\rMvh") == "Hej!\n\nLampan är trasig.\nMvh"


def test_long_text_length_counts_a_line_break_once(parse, refuse) -> None:
    # Ten characters in a browser's CRLF are nine when stored, so a limit of 9 takes them.
    assert parse("textarea", "abcd\r\nefgh", {"max_length": 9}) == "abcd\nefgh"
    assert parse("textarea", "x" * 4000) == "x" * 4000
    assert refuse("textarea", "x" * 4001).code == "too_long"


def test_information_text_asks_nothing() -> None:
    info = REGISTRY["info"]
    assert info.has_input is False
    assert REGISTRY["text"].has_input is True
