"""The error table, the exception tree and the public names."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from smsstats_nb.core import _errors as errors


@pytest.mark.parametrize(
    ("code", "cls"),
    [(1, errors.ParameterError), (2, errors.AuthError), (4, errors.IPBlockedError), (9, errors.RateLimitError)],
)
def test_error_table(code: int, cls: type[errors.SmscError]) -> None:
    err = errors.error_from_code(code, "text")
    assert type(err) is cls
    assert err.code == code and err.description == "text"
    assert issubclass(cls, errors.SmscError) and issubclass(cls, errors.SmsStatsError)


@pytest.mark.parametrize("code", [3, 5, 6, 7, 8, 10, 99])
def test_unknown_codes_keep_their_number(code: int) -> None:
    err = errors.error_from_code(code, "")
    assert type(err) is errors.SmscError and err.code == code
    assert f"error {code}" in str(err)


def test_tree() -> None:
    assert issubclass(errors.QueryError, ValueError)
    for cls in (errors.QueryError, errors.SmscError, errors.ResponseFormatError, errors.TransportError):
        assert issubclass(cls, errors.SmsStatsError)
    assert "SmsStatsError" in (errors.__doc__ or "") and "TransportError" in (errors.__doc__ or "")


def test_errors_survive_pickling() -> None:
    err = errors.error_from_code(2, "authorise error")
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is errors.AuthError and again.code == 2 and str(again) == str(err)


def test_messages_tell_what_to_do() -> None:
    assert "30 minutes" in str(errors.error_from_code(4))
    assert "password" in str(errors.error_from_code(2))


@pytest.mark.slow  # starts a Python subprocess
def test_import_is_light_and_has_no_side_effects() -> None:
    code = (
        "import logging, sys, smsstats_nb\n"
        "from smsstats_nb.core._redaction import URL_LOGGERS, log_redaction_installed\n"
        "heavy = [m for m in ('matplotlib', 'ipywidgets', 'tqdm') if m in sys.modules]\n"
        "filters = sum(len(logging.getLogger(n).filters) for n in URL_LOGGERS)\n"
        "print(heavy, filters, log_redaction_installed())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[] 0 False"


@pytest.mark.slow  # starts a Python subprocess
def test_log_redaction_is_installed_once_by_the_first_client(tmp_path: object) -> None:
    code = (
        "import logging, smsstats_nb\n"
        "from smsstats_nb.core._redaction import URL_LOGGERS\n"
        "a = smsstats_nb.StatsClient('u', 'p', cache=False)\n"
        "b = smsstats_nb.StatsClient('u', 'p', cache=False)\n"
        "print(sorted({len(logging.getLogger(n).filters) for n in URL_LOGGERS}))\n"
        "logging.basicConfig(level=logging.DEBUG, format='%(message)s')\n"
        "logging.getLogger('urllib3.connectionpool').debug('GET /sys/get.php?login=u&psw=%s&fmt=3', 'p4ss')\n"
    )
    env = {**__import__("os").environ, "SMSSTATS_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert proc.stdout.strip() == "[1]"
    assert "p4ss" not in proc.stderr and "psw=***" in proc.stderr
