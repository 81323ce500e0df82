"""Property-based: whatever the demo writers emit parses back to the same frame; junk only ever
raises a SmsStatsError."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from smsstats_nb import ResponseFormatError, SmsStatsError, parse_response
from smsstats_nb.core import error_from_code
from smsstats_nb.demo.data import Row
from smsstats_nb.demo.writers import money, write_error, write_rows
from smsstats_nb.wire.formats import decode_body

from ..schema import check_schema

LOGIN_ALPHABET = st.sampled_from(
    list(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.@&<>'\"абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВЯ"
    )
)
rows_strategy = st.lists(
    st.builds(
        Row,
        login=st.text(LOGIN_ALPHABET, min_size=1, max_size=24),
        sms=st.integers(0, 10**9),
        credit_e4=st.integers(-(10**10), 10**12),
        debit_e4=st.integers(0, 10**12),
        currency=st.sampled_from(["RUR", "KZT", "USD", "EUR"]),
    ),
    max_size=30,
)


def expected(rows: list[Row]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "login": pd.array([r.login for r in rows], dtype="string"),
            "sms": np.array([r.sms for r in rows], dtype="int64"),
            "credit": np.array([float(money(r.credit_e4, r.currency)) for r in rows], dtype="float64"),
            "debit": np.array([float(money(r.debit_e4, r.currency)) for r in rows], dtype="float64"),
            "currency": pd.array([r.currency for r in rows], dtype="string"),
        }
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, fmt=st.sampled_from([0, 1, 2, 3]), decl=st.booleans(), crlf=st.booleans())
def test_writer_output_parses_back_to_the_same_frame(rows: list[Row], fmt: int, decl: bool, crlf: bool) -> None:
    body = write_rows(rows, fmt, xml_declaration=decl, crlf=crlf)
    df = parse_response(body, fmt)
    check_schema(df)
    pd.testing.assert_frame_equal(df, expected(rows))


@settings(max_examples=80, deadline=None)
@given(code=st.integers(1, 99), fmt=st.sampled_from([0, 1, 2, 3]), asked=st.sampled_from([0, 1, 2, 3]))
def test_every_error_form_gives_its_code_or_a_clear_refusal(code: int, fmt: int, asked: int) -> None:
    """Every (written, asked) pair is checked: the plain form and the asked format's own form give
    the error with its code; another format's error form is never data, and never a wrong code: it
    is a ResponseFormatError (a body the asked format cannot read)."""
    body = write_error(code, fmt)
    try:
        df = parse_response(body, asked)
    except SmsStatsError as exc:
        if fmt in (0, asked):
            assert type(exc) is error_from_code(code, "").__class__ and exc.code == code  # type: ignore[attr-defined]
        else:
            assert isinstance(exc, ResponseFormatError) and not hasattr(exc, "code")
            _check_error(exc)
    else:
        raise AssertionError(f"an error body parsed as data: {df!r}")


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=300), fmt=st.sampled_from([0, 1, 2, 3]))
def test_arbitrary_text_never_raises_anything_but_smsstats_error(text: str, fmt: int) -> None:
    try:
        df = parse_response(text, fmt)
    except SmsStatsError as exc:
        _check_error(exc)
        return
    check_schema(df)


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=300), fmt=st.sampled_from([0, 1, 2, 3]))
def test_arbitrary_bytes_never_raise_anything_but_smsstats_error(data: bytes, fmt: int) -> None:
    try:
        df = parse_response(decode_body(data), fmt)
    except SmsStatsError as exc:
        _check_error(exc)
        return
    check_schema(df)


@settings(max_examples=300, deadline=None)
@given(
    prefix=st.sampled_from(["[", "<list>", "login = ", "a,1,", '{"error_code": ', "<result><error_code>", "ERROR = "]),
    tail=st.text(max_size=80),
    fmt=st.sampled_from([0, 1, 2, 3]),
)
def test_near_misses_never_raise_anything_but_smsstats_error(prefix: str, tail: str, fmt: int) -> None:
    try:
        df = parse_response(prefix + tail, fmt)
    except SmsStatsError as exc:
        _check_error(exc)
        return
    check_schema(df)


def _check_error(exc: SmsStatsError) -> None:
    """A refusal a person can read: a message, and for a bad body a short snippet."""
    assert str(exc)
    if isinstance(exc, ResponseFormatError):
        assert len(exc.snippet) <= 61
