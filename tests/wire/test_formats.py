"""Every parser and error form, from hand-written golden bodies (no I/O)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smsstats_nb import (
    AuthError,
    IPBlockedError,
    ParameterError,
    QueryError,
    RateLimitError,
    ResponseFormatError,
    SmscError,
    SmsStatsError,
    parse_response,
)
from smsstats_nb.core._frames import COLUMNS

from ..schema import check_schema

GOLDEN = Path(__file__).resolve().parent.parent / "golden"

EXPECTED = pd.DataFrame(
    {
        "login": pd.array(["alex", "алексей_2"], dtype="string"),
        "sms": np.array([12, 0], dtype="int64"),
        "credit": [178.10, 0.0],
        "debit": [3.3, 3215.3097],
        "currency": pd.array(["RUR", "RUR"], dtype="string"),
    }
)


def golden(name: str) -> str:
    return (GOLDEN / name).read_bytes().decode("utf-8")


@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("fmt0_two_rows.txt", 0),
        ("fmt0_crlf_no_trailing_newline.txt", 0),
        ("fmt1_two_rows.txt", 1),
        ("fmt1_crlf.txt", 1),
        ("fmt2_two_rows.xml", 2),
        ("fmt2_no_declaration.xml", 2),
        ("fmt3_two_rows.json", 3),
        ("fmt3_escaped_crlf.json", 3),
    ],
)
def test_golden_bodies_parse_to_the_same_frame(name: str, fmt: int) -> None:
    df = parse_response(golden(name), fmt)
    check_schema(df)
    pd.testing.assert_frame_equal(df, EXPECTED)


@pytest.mark.parametrize("fmt", [0, 1])
@pytest.mark.parametrize("body", ["", "\n", "  \r\n"])
def test_empty_text_and_csv_bodies_give_zero_rows_with_the_schema(fmt: int, body: str) -> None:
    df = parse_response(body, fmt)
    assert len(df) == 0
    assert tuple(df.columns) == COLUMNS
    check_schema(df)


@pytest.mark.parametrize(
    ("body", "fmt"), [("[]", 3), ("<list></list>", 2), ("<list/>", 2), ('<?xml version="1.0"?><list>\n</list>', 2)]
)
def test_empty_lists_give_zero_rows(body: str, fmt: int) -> None:
    df = parse_response(body, fmt)
    assert df.empty
    check_schema(df)


@pytest.mark.parametrize(
    ("name", "fmt", "cls", "code", "description"),
    [
        ("error_fmt0_2.txt", 0, AuthError, 2, "authorise error"),
        ("error_fmt1_9.txt", 1, RateLimitError, 9, ""),
        ("error_fmt2_4.xml", 2, IPBlockedError, 4, "ip is blocked"),
        ("error_fmt3_1.json", 3, ParameterError, 1, "parameters error"),
    ],
)
def test_error_bodies_raise_typed_errors(
    name: str, fmt: int, cls: type[SmscError], code: int, description: str
) -> None:
    with pytest.raises(cls) as info:
        parse_response(golden(name), fmt)
    assert info.value.code == code
    assert info.value.description == description
    assert isinstance(info.value, SmscError) and isinstance(info.value, SmsStatsError)


def test_unknown_code_is_a_plain_smsc_error_with_its_number() -> None:
    with pytest.raises(SmscError) as info:
        parse_response(golden("error_fmt3_7.json"), 3)
    assert type(info.value) is SmscError
    assert info.value.code == 7
    assert "7" in str(info.value)


@pytest.mark.parametrize("fmt", [0, 1, 2, 3])
@pytest.mark.parametrize(
    ("code", "cls"), [(1, ParameterError), (2, AuthError), (4, IPBlockedError), (9, RateLimitError), (5, SmscError)]
)
def test_plain_error_text_is_recognised_whatever_fmt(fmt: int, code: int, cls: type[SmscError]) -> None:
    with pytest.raises(cls) as info:
        parse_response(f"ERROR = {code} (some text)\r\n", fmt)
    assert info.value.code == code
    assert info.value.description == "some text"


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        ('[{"login": "a", "sms": "1", "credit": "1", "debit"', 3),  # truncated JSON
        ("<!DOCTYPE html><html><body>502</body></html>", 3),
        ("<!DOCTYPE html><html><body>502</body></html>", 2),
        ("<html><body>oops</body></html>", 0),
        ("<html><body>oops</body></html>", 1),
        ("a,1,2,3\n", 1),  # four fields
        ("a,1,2,3,RUR,9\n", 1),  # six fields
        ("a,1,2,3,RUR\nb,1,2,3,RUR,9\n", 1),
        ("a,x,2,3,RUR\n", 1),  # non-numeric count
        ("a,1.5,2,3,RUR\n", 1),
        ("login = a, sms = x, credit = 1, debit = 1, currency = RUR\n", 0),
        ("login = a, sms = 1, credit = 1, currency = RUR\n", 0),
        ('[{"login": "a", "sms": "x", "credit": "1", "debit": "1", "currency": "RUR"}]', 3),
        ('[{"login": "a", "sms": "1", "credit": "1", "currency": "RUR"}]', 3),
        ('[{"login": "a", "sms": "1", "credit": "nan", "debit": "1", "currency": "RUR"}]', 3),
        ('[{"login": "a", "sms": "-1", "credit": "1", "debit": "1", "currency": "RUR"}]', 3),
        ('{"rows": []}', 3),
        ("42", 3),
        ('["a", "b"]', 3),
        ("<list><stat><login>a</login><sms>1</sms></stat></list>", 2),
        (
            "<list><stat><login>a</login><sms>one</sms><credit>1</credit><debit>1</debit><currency>R</currency></stat></list>",
            2,
        ),
        ("<list><stat>", 2),
        ("<other/>", 2),
    ],
)
def test_malformed_bodies_raise_response_format_error_with_a_short_snippet(body: str, fmt: int) -> None:
    with pytest.raises(ResponseFormatError) as info:
        parse_response(body, fmt)
    assert len(info.value.snippet) <= 61
    assert len(str(info.value)) < 300


def test_xml_entity_bomb_is_refused_at_once() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        "<list><stat><login>&lol3;</login></stat></list>"
    )
    with pytest.raises(ResponseFormatError, match="refused"):
        parse_response(bomb, 2)


def test_xml_external_entity_is_refused() -> None:
    body = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><list>&e;</list>'
    with pytest.raises(ResponseFormatError):
        parse_response(body, 2)


def test_xml_declaration_with_another_encoding_is_accepted_for_decoded_text() -> None:
    body = (
        '<?xml version="1.0" encoding="windows-1251"?><list><stat><login>юзер</login><sms>3</sms>'
        "<credit>1.5</credit><debit>0</debit><currency>RUR</currency></stat></list>"
    )
    df = parse_response(body, 2)
    assert df["login"].tolist() == ["юзер"]


def test_json_numbers_are_accepted_as_well_as_strings() -> None:
    df = parse_response('[{"login": "a", "sms": 4, "credit": 1.25, "debit": 0, "currency": "RUR"}]', 3)
    assert df["sms"].tolist() == [4] and df["credit"].tolist() == [1.25]


def test_login_that_looks_like_na_stays_a_string() -> None:
    df = parse_response("NA,1,2.5,0,RUR\nnull,2,0,0,RUR\n", 1)
    assert df["login"].tolist() == ["NA", "null"]


def test_login_with_comma_and_spaces_in_text_format() -> None:
    df = parse_response("login = Иван, Петров, sms = 5, credit = 10.5, debit = 0, currency = RUR\n", 0)
    assert df["login"].tolist() == ["Иван, Петров"]
    assert df["sms"].tolist() == [5]


def test_many_decimals_and_negative_amounts() -> None:
    df = parse_response("a,1,-0.0001,12345.678901,KZT\n", 1)
    assert df["credit"].tolist() == [-0.0001]
    assert df["debit"].tolist() == [12345.678901]


@pytest.mark.parametrize("fmt", [-1, 4, "3", 3.0, True, None])
def test_unknown_fmt_is_a_query_error(fmt: object) -> None:
    with pytest.raises(QueryError):
        parse_response("[]", fmt)  # type: ignore[arg-type]


def test_query_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        parse_response("[]", 9)


@pytest.mark.parametrize(
    "body",
    [
        "login=alex,sms=12,credit=178.10,debit=3.3,currency=RUR\n",
        "login = alex , sms = 12 , credit = 178.10 , debit = 3.3 , currency = RUR   \r\n\r\n",
        "\n\nlogin = alex, sms = 12, credit = 178.10, debit = 3.3, currency = RUR\n   \n",
    ],
)
def test_text_format_tolerates_spacing_and_blank_lines(body: str) -> None:
    df = parse_response(body, 0)
    assert df["login"].tolist() == ["alex"] and df["sms"].tolist() == [12]
    assert df["credit"].tolist() == [178.10] and df["debit"].tolist() == [3.3]


@pytest.mark.parametrize("amount", ["-", "1.2.3", "..", "1-2"])
def test_text_format_refuses_malformed_amounts(amount: str) -> None:
    with pytest.raises(ResponseFormatError):
        parse_response(f"login = a, sms = 1, credit = {amount}, debit = 0, currency = RUR\n", 0)


@pytest.mark.parametrize(
    "body", ["alex, 12, 178.10, 3.3, RUR\n", " alex ,12 ,178.10,3.3, RUR \r\n", "alex,12,178.10,3.3,RUR \n"]
)
def test_csv_format_trims_spaces_around_fields(body: str) -> None:
    df = parse_response(body, 1)
    assert df["login"].tolist() == ["alex"] and df["currency"].tolist() == ["RUR"]
    assert df["sms"].tolist() == [12] and df["credit"].tolist() == [178.10]


def test_xml_undeclared_entity_and_comments() -> None:
    with pytest.raises(ResponseFormatError):
        parse_response("<list><stat><login>&lol;</login></stat></list>", 2)
    body = (
        "<!-- a comment --><list><stat><login>a</login><sms>1</sms><credit>1</credit>"
        "<debit>0</debit><currency>RUR</currency></stat></list>"
    )
    assert parse_response(body, 2)["login"].tolist() == ["a"]


def test_bytes_in_utf8_or_windows_1251_and_a_bom() -> None:
    text = golden("fmt1_two_rows.txt")
    pd.testing.assert_frame_equal(parse_response(text.encode("utf-8"), 1), EXPECTED)
    pd.testing.assert_frame_equal(parse_response(text.encode("windows-1251"), 1), EXPECTED)
    pd.testing.assert_frame_equal(parse_response("\ufeff" + golden("fmt3_two_rows.json"), 3), EXPECTED)
    with pytest.raises(QueryError):
        parse_response(123, 3)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", [2, 3])
@pytest.mark.parametrize("body", ["", "\n", "  \r\n"])
def test_empty_xml_and_json_bodies_are_malformed(fmt: int, body: str) -> None:
    # their "no traffic" answers are <list></list> / <list/> and []
    with pytest.raises(ResponseFormatError, match="empty answer"):
        parse_response(body, fmt)


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        ('[{"login":"a","sms":"١٠","credit":"1","debit":"0","currency":"RUR"}]', 3),
        ('[{"login":"a","sms":"1","credit":"1.٥","debit":"0","currency":"RUR"}]', 3),
        ('[{"login":"a","sms":"1_000","credit":"1","debit":"0","currency":"RUR"}]', 3),
        ("a,١٠,1.0,0,RUR\n", 1),
        ("a,10,1.٥,0,RUR\n", 1),
        ("login = a, sms = ١٠, credit = 1, debit = 0, currency = RUR\n", 0),
        (
            "<list><stat><login>a</login><sms>١</sms><credit>1</credit><debit>0</debit><currency>RUR</currency></stat></list>",
            2,
        ),
    ],
)
def test_non_ascii_digits_are_refused(body: str, fmt: int) -> None:
    with pytest.raises(ResponseFormatError):
        parse_response(body, fmt)


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        ('[{"login":"a","login":"b","sms":"1","credit":"1","debit":"0","currency":"RUR"}]', 3),
        ('[{"login":"a","sms":"1","sms":"2","credit":"1","debit":"0","currency":"RUR"}]', 3),
        ('[{"\\u006cogin":"a","login":"b","sms":"1","credit":"1","debit":"0","currency":"RUR"}]', 3),
        (
            "<list><stat><login>a</login><login>b</login><sms>1</sms><credit>1</credit>"
            "<debit>0</debit><currency>RUR</currency></stat></list>",
            2,
        ),
        (
            "<list><stat><login>a</login><sms>1</sms><sms>2</sms><credit>1</credit>"
            "<debit>0</debit><currency>RUR</currency><!-- x --></stat></list>",
            2,
        ),
    ],
)
def test_duplicated_keys_and_elements_are_refused(body: str, fmt: int) -> None:
    with pytest.raises(ResponseFormatError):
        parse_response(body, fmt)


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        ('[{"login":"  ","sms":"1","credit":"1","debit":"0","currency":"RUR"}]', 3),
        (" ,1,1.0,0,RUR\n", 1),
        ("login =  , sms = 1, credit = 1, debit = 0, currency = RUR\n", 0),
        (
            "<list><stat><login> </login><sms>1</sms><credit>1</credit>"
            "<debit>0</debit><currency>RUR</currency></stat></list>",
            2,
        ),
    ],
)
def test_a_blank_login_is_refused(body: str, fmt: int) -> None:
    with pytest.raises(ResponseFormatError, match="login"):
        parse_response(body, fmt)


@pytest.mark.parametrize(
    ("body", "fmt"),
    [
        ("a,1,1.0,0,RUR\nb,1,1,0,RUR\n a ,2,1,0, RUR \nc,1,1,0,RUR\n", 1),
        (
            '[{"login":"a","sms":1,"credit":1,"debit":0,"currency":"RUR"},'
            '{"login":" a ","sms":2,"credit":1,"debit":0,"currency":"RUR "}]',
            3,
        ),
    ],
)
def test_padding_in_some_rows_only_never_gives_two_spellings(body: str, fmt: int) -> None:
    df = parse_response(body, fmt)
    assert set(df["login"]) <= {"a", "b", "c"} and set(df["currency"]) == {"RUR"}
    assert df.groupby("login")["sms"].sum()["a"] == 3


_TEXT = st.text(alphabet=st.sampled_from(list("ab д_\t\r\x00\x85\u3000\xa0")), max_size=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=8))
def test_clean_texts_strips_exactly_like_str_strip_and_refuses_blanks(values: list[str]) -> None:
    """The fast path (no whitespace anywhere) and the slow path must agree with str.strip()."""
    from smsstats_nb.wire.formats._common import clean_texts

    expected = [v.strip() for v in values]
    if any(not v for v in expected):
        with pytest.raises(ResponseFormatError, match="blank"):
            clean_texts(values, "login", "body")
    else:
        assert clean_texts(values, "login", "body").tolist() == expected


@pytest.mark.parametrize(
    "body",
    [
        '[{"login": "shop\\ud800", "sms": "1", "credit": "1.00", "debit": "0", "currency": "RUR"}]',
        '[{"login": "shop", "sms": "1", "credit": "1.00", "debit": "0", "currency": "R\\udfffR"}]',
    ],
)
def test_a_lone_surrogate_is_refused_at_parse_time(body: str) -> None:
    from smsstats_nb import ResponseFormatError
    from smsstats_nb.wire.formats import parse_response

    with pytest.raises(ResponseFormatError, match="lone surrogate"):
        parse_response(body, 3)
