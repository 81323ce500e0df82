"""The smsstats command: output, files, exit codes, and no password from or to the command line."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb.cli._main import main
from smsstats_nb.demo import DemoServer

# the CLI builds its own clients on the real clock (and `--dist loadfile` keeps this file, with the
# demo's fixed port, on one worker)
pytestmark = [pytest.mark.realtime, pytest.mark.loopback]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, server: DemoServer, cache_dir: Path) -> DemoServer:
    monkeypatch.setenv("SMSC_LOGIN", server.login)
    monkeypatch.setenv("SMSC_PASSWORD", server.psw)
    monkeypatch.setenv("SMSC_BASE_URL", server.url)
    monkeypatch.setenv("SMSSTATS_CACHE_DIR", str(cache_dir))
    return server


def test_fetch_prints_a_table(env: DemoServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "--start", "01.01.2024", "--end", "31.01.2024", "--fmt", "1"]) == 0
    out = capsys.readouterr()
    assert "demo_shop" in out.out and "демо_маркет" in out.out and "9,216" in out.out
    assert out.out.splitlines()[0] == "statistics 2024-01-01 – 2024-01-31 (4 rows, from the server, RUB):"
    assert env.psw not in out.out + out.err
    assert main(["fetch", "--start", "01.01.2024", "--end", "31.01.2024", "--mycur", "--balance2"]) == 0
    assert capsys.readouterr().out.splitlines()[0].endswith("from the server, mycur, balance2, KZT):")


@pytest.mark.parametrize("suffix", [".csv", ".json", ".xlsx", ".parquet"])
def test_fetch_writes_a_file(env: DemoServer, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"jan{suffix}"
    assert main(["fetch", "--start", "2024-01-01", "--end", "2024-01-31", "--mycur", "--output", str(target)]) == 0
    if suffix in (".xlsx", ".parquet"):
        from smsstats_nb.output._exports import read_export

        df = read_export(target)
        assert df.attrs["mycur"] is True and df.attrs["start"] == "2024-01-01"  # the query travels with it
    elif suffix == ".csv":
        df = pd.read_csv(target)
    else:
        df = pd.DataFrame(json.loads(target.read_text(encoding="utf-8")))
    assert list(df.columns) == ["login", "sms", "credit", "debit", "currency"]
    assert set(df["currency"]) == {"KZT"} and len(df) == 4
    assert "демо_маркет" in set(df["login"])


def test_fetch_series_with_plot(env: DemoServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "plot.png"
    assert main(["fetch", "--start", "2024-01-01", "--end", "2024-03-31", "--freq", "MS", "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "from" in capsys.readouterr().out.splitlines()[1].split()  # the period's columns, in words
    from PIL import Image

    args = ["fetch", "--start", "2024-01-01", "--end", "2024-03-31", "--freq", "MS", "--plot", str(png)]
    assert main([*args, "--plot-size", "12x5", "--plot-dpi", "150", "--plot-title", "Q1"]) == 0  # a slide's
    assert Image.open(png).size == (1800, 750)
    sent = env.stat_requests
    assert main([*args, "--plot-size", "huge"]) == 2  # refused before any request
    assert "--plot-size is WIDTHxHEIGHT" in capsys.readouterr().err and env.stat_requests == sent


def test_unknown_output_suffix_is_a_usage_error(env: DemoServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "--start", "2024-01-01", "--output", "x.txt"]) == 2
    assert "csv or .json" in capsys.readouterr().err


def test_password_argument_is_refused_without_echo(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["fetch", "--start", "2024-01-01", "--psw", "s3cr3t-value"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert "s3cr3t-value" not in err and "SMSC_PASSWORD" in err


@pytest.mark.parametrize(
    ("setup", "args", "code", "text"),
    [
        ("wrong_password", ["--start", "2024-01-01"], 3, "SMSC error 2 (authorise error): check the login"),
        ("none", ["--start", "31.02.2024"], 2, "start '31.02.2024' is not a real date"),
        ("error9", ["--start", "2024-01-01", "--no-wait"], 4, "SMSC error 9"),
        ("error7", ["--start", "2024-01-01"], 5, "SMSC error 7"),
        ("html", ["--start", "2024-01-01"], 6, "not valid JSON"),
        ("502", ["--start", "2024-01-01"], 7, "127.0.0.1:"),
    ],
)
def test_one_line_per_error_and_an_exit_code_per_family(
    env: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setup: str,
    args: list[str],
    code: int,
    text: str,
) -> None:
    if setup == "wrong_password":
        monkeypatch.setenv("SMSC_PASSWORD", "wrong-one")
    elif setup != "none":
        env.inject(*([setup] * 3))
    assert main(["fetch", *args]) == code
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"smsstats: {text}") and "\n" not in err and "Traceback" not in err
    assert "wrong-one" not in err


@pytest.mark.slow  # starts a Python subprocess
def test_no_password_and_no_terminal_says_what_to_set(monkeypatch: pytest.MonkeyPatch, env: DemoServer) -> None:
    monkeypatch.delenv("SMSC_PASSWORD")
    proc = subprocess.run(
        [sys.executable, "-m", "smsstats_nb.cli", "fetch", "--start", "2024-01-01"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert proc.returncode == 2 and "SMSC_PASSWORD" in proc.stderr and env.stat_requests == 0


def test_cache_info_and_clear(env: DemoServer, capsys: pytest.CaptureFixture[str], cache_dir: Path) -> None:
    main(["fetch", "--start", "2024-01-01"])
    main(["fetch", "--start", "2024-01-02"])
    capsys.readouterr()
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "answers cached: 2 (" in out and "KiB on disk)" in out
    assert "2 requests in the last 60 s (SMSC allows 3)" in out
    assert "cool-downs:     none" in out
    assert main(["cache", "clear", "--cache-dir", str(cache_dir)]) == 0
    assert "removed 2" in capsys.readouterr().out
    main(["cache", "info"])
    assert "answers cached: 0" in capsys.readouterr().out


def test_cache_info_names_active_refusals_and_when_they_end(
    env: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SMSC_PASSWORD", "wrong-one")
    assert main(["fetch", "--start", "2024-01-01"]) == 3
    capsys.readouterr()
    assert main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert "failed logins:  1 in the last 30 min" in out
    assert re.search(r"known-bad credentials refused locally: (29|30) min 0?\d+ s left \(until \d\d:\d\d:\d\d", out), (
        out
    )
    assert "smsstats cache clear --cooldowns" in out and "wrong-one" not in out
    assert main(["cache", "clear", "--cooldowns"]) == 0
    capsys.readouterr()
    main(["cache", "info"])
    out = capsys.readouterr().out
    assert "cool-downs:     none" in out and "failed logins:  0" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--plot", "out.jpg"], "--plot must end in .png"),
        (["--output", "out.xlsx.txt"], "--output must end in .csv or .json or .xlsx or .parquet"),
        (["--output", "no-such-folder/out.csv"], "the folder 'no-such-folder' does not exist"),
        (["--plot", "no-such-folder/out.png"], "the folder 'no-such-folder' does not exist"),
    ],
)
def test_files_are_checked_before_any_request(
    env: DemoServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["fetch", "--start", "2024-01-01", *args]) == 2
    assert message in capsys.readouterr().err
    assert env.stat_requests == 0


@pytest.mark.slow  # starts a Python subprocess
def test_verbose_after_the_subcommand_and_version(env: DemoServer, capsys: pytest.CaptureFixture[str]) -> None:
    from smsstats_nb import __version__

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capsys.readouterr().out.strip() == f"smsstats {__version__}"
    for args in (["-v", "fetch", "--start", "2024-01-01"], ["fetch", "--start", "2024-01-02", "-v"]):
        proc = subprocess.run(
            [sys.executable, "-m", "smsstats_nb.cli", *args],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=60,
        )
        assert proc.returncode == 0, proc.stderr
        assert "INFO smsstats_nb" in proc.stderr and env.psw not in proc.stderr


def test_without_login_the_message_names_the_options(
    env: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SMSC_LOGIN")
    assert main(["fetch", "--start", "2024-01-01"]) == 2
    err = capsys.readouterr().err
    assert "--login" in err and "SMSC_LOGIN" in err and "login=" not in err


@pytest.mark.slow  # starts a Python subprocess
def test_a_long_series_without_a_terminal_needs_yes(env: DemoServer, capsys: pytest.CaptureFixture[str]) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "smsstats_nb.cli",
            "fetch",
            "--start",
            "2024-01-01",
            "--end",
            "2024-02-29",
            "--freq",
            "D",
        ],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert proc.returncode == 2 and "pass --yes" in proc.stderr and "about 19 min" in proc.stderr
    assert env.stat_requests == 0


def _pty_run(
    args: list[str], until: str, answer: str | None = None, timeout: float = 30.0, *, interrupt: bool = True
) -> tuple[str, int]:
    """Run the CLI on a pseudo-terminal, answer a prompt if asked, read until ``until`` appears,
    then interrupt it (Ctrl-C); returns everything it wrote and its exit code."""
    import pty
    import select
    import signal

    pid, fd = pty.fork()
    if pid != 0:  # an 80-column terminal, as most are
        import fcntl
        import struct
        import termios

        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    if pid == 0:  # pragma: no cover - the child
        # a suite started in the background (`&`, nohup) ignores SIGINT, and an ignored signal stays
        # ignored across exec: give the CLI the default handler, so Ctrl-C reaches it as on a terminal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execvpe(
            sys.executable,
            [sys.executable, "-m", "smsstats_nb.cli", *args],
            {**os.environ, "PYTHONPATH": str(ROOT)},
        )
    out = b""
    deadline = time.monotonic() + timeout
    answered = answer is None
    try:
        while time.monotonic() < deadline and until.encode() not in out:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
                if not answered and b"[y/N]" in out:
                    os.write(fd, answer.encode() + b"\n")  # type: ignore[union-attr]
                    answered = True
    finally:
        if interrupt:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGINT)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                out += chunk
        _, status = os.waitpid(pid, 0)
        os.close(fd)
    return out.decode("utf-8", "replace"), os.waitstatus_to_exitcode(status)


@pytest.mark.slow  # runs the CLI in a pseudo-terminal subprocess
def test_on_a_terminal_it_says_what_it_waits_for(env: DemoServer, tmp_path: Path) -> None:
    target = tmp_path / "days.xlsx"
    text, code = _pty_run(
        ["fetch", "--start", "2024-01-01", "--end", "2024-01-04", "--freq", "D", "--output", str(target)],
        until="next in 5",
    )
    assert code == 130
    assert "series: 4 periods: 0 cached, 4 to fetch, about 1 min 00 s under the rate limit" in text
    assert re.search(r"3/4 periods done, 1 to go; next in 5\d s; about 5\d s left; limit 3 per 60 s", text), text
    wait_lines = [line for line in re.split(r"[\r\n]", text) if "periods done" in line]
    assert wait_lines and all(len(line.rstrip()) < 80 for line in wait_lines), text  # one line at 80 columns
    assert "get_stat" not in text and "no wait left" not in text
    assert "stopped after 3 of 4 periods; they are cached: the same command resumes" in text
    assert "interrupted (what was fetched is cached)" in text
    assert env.stat_requests == 3
    # Ctrl-C wrote what arrived, named and marked partial, with the range it really covers
    partial = tmp_path / "days.partial.xlsx"
    assert not target.exists() and partial.exists(), text
    from smsstats_nb.output._exports import read_export

    got = read_export(partial)
    assert got.attrs["partial"] is True and got.attrs["end"] == "2024-01-03"
    assert sorted(got["period_start"].dt.date.astype(str).unique()) == ["2024-01-01", "2024-01-02", "2024-01-03"]


@pytest.mark.slow  # runs the CLI in a pseudo-terminal subprocess
def test_on_a_terminal_a_long_series_asks_first(env: DemoServer) -> None:
    text, code = _pty_run(
        ["fetch", "--start", "2024-01-01", "--end", "2024-02-29", "--freq", "D"],
        until="nothing was sent",
        answer="n",
        interrupt=False,
    )
    assert code == 0
    assert "this series needs about 19 min" in text and "Continue? [y/N]" in text
    assert "not started; nothing was sent" in text and "interrupted" not in text  # a refusal is no Ctrl-C
    assert env.stat_requests == 0


@pytest.mark.slow  # starts a Python subprocess
def test_demo_writes_csv_and_png_and_answers_from_the_cache_on_its_second_run(tmp_path: Path) -> None:
    from smsstats_nb.cli._demo import DEMO_PORT

    out = tmp_path / "out"
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", DEMO_PORT)) == 0:
            pytest.skip(f"port {DEMO_PORT} is in use here")
    runs = []
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "smsstats_nb.cli", "demo", "--out", str(out)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert "demo-password" not in proc.stdout + proc.stderr
        runs.append(proc.stdout)
        if len(runs) == 1:  # the first run: the table, the CSV and the PNG
            assert "demo_shop" in proc.stdout and str(out) in proc.stdout
            assert (out / "sms_per_login.png").read_bytes()[:4] == b"\x89PNG"
            assert len(pd.read_csv(out / "stats.csv")) == 4
    assert "from the server" in runs[0] and "from the cache" in runs[1]


@pytest.mark.slow  # starts a Python subprocess
def test_serve_demo_runs_standalone() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "smsstats_nb.demo", "--port", "0", "--window", "1"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line and "/sys/get.php" in line
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.parametrize(
    ("environ", "args", "heading"),
    [
        ({"LANG": "ru_RU.UTF-8"}, [], "статистика 01.01.2024 – 31.01.2024 (4 строки, с сервера, ₽):"),
        ({"LANG": "C"}, [], "statistics 2024-01-01 – 2024-01-31 (4 rows, from the server, RUB):"),
        ({"LANG": "C"}, ["--lang", "ru"], "статистика 01.01.2024 – 31.01.2024 (4 строки, с сервера, ₽):"),
        ({"LANG": "ru_RU.UTF-8", "SMSSTATS_LANG": "en"}, [], "statistics 2024-01-01 – 2024-01-31 (4 rows"),
    ],
)
def test_the_cli_speaks_the_locales_language(
    env: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    environ: dict[str, str],
    args: list[str],
    heading: str,
) -> None:
    for name in ("SMSSTATS_LANG", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert main([*args, "fetch", "--start", "2024-01-01", "--end", "2024-01-31"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith(heading)


def _no_quota_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI in this process with a limit the demo server's test window allows at once."""
    from smsstats_nb.cli import _common

    real = _common.Settings.from_env
    monkeypatch.setattr(
        _common.Settings,
        "from_env",
        classmethod(lambda cls, e, **kw: real(e, **{**kw, "rate_limit": (100, 1.0), "backoff": 0.0})),
    )


def test_a_failure_part_way_keeps_what_arrived_and_says_how_to_resume(
    env: DemoServer, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A network failure in the middle of a series is like Ctrl-C: the periods that arrived are
    cached and written as partial, the line says the same command resumes, then the error."""
    _no_quota_minute(monkeypatch)  # this test is about the failure, not about the quota's minute
    assert main(["fetch", "--start", "2024-01-01", "--end", "2024-01-02", "--freq", "D"]) == 0
    capsys.readouterr()
    env.inject("502", "502", "502")  # the third day's every try fails
    target = tmp_path / "days.csv"
    args = ["fetch", "--start", "2024-01-01", "--end", "2024-01-04", "--freq", "D", "--output", str(target)]
    assert main(args) == 7
    text = capsys.readouterr().err
    assert "stopped after 2 of 4 periods; they are cached: the same command resumes" in text
    assert "wrote the 2 periods that arrived (2024-01-01 .. 2024-01-02)" in text
    assert text.strip().splitlines()[-1].startswith("smsstats: 127.0.0.1:")  # then the failure, words first
    assert not target.exists() and (tmp_path / "days.partial.csv").exists()
    env.reset()  # the demo server's own window (on the test's clock) starts again
    assert main(args) == 0  # the same command resumes: two cached days, two new ones
    assert target.exists()


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_the_terminal_table_fits_80_columns_in_words_and_money(
    env: DemoServer, capsys: pytest.CaptureFixture[str], lang: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A daily series and a weekly one, in English and Russian: every line within 80 columns,
    the headers in words (spent, paid in; потрачено, пополнено), money with two decimals."""
    _no_quota_minute(monkeypatch)
    for freq in ("D", "W"):
        env.reset()  # the demo server's window on the test's clock
        assert main(["--lang", lang, "fetch", "--start", "2024-01-01", "--end", "2024-01-03", "--freq", freq]) == 0
        text = capsys.readouterr().out
        assert all(len(line) <= 80 for line in text.splitlines()), text
        head = text.splitlines()[1].split()
        if lang == "en":
            assert head == ["day", "login", "messages", "spent", "paid", "in", "currency"] or "from" in head, head
            assert "credit" not in text and "debit" not in text and "7,740.00" in text and "7740.0" not in text
        else:
            assert "потрачено" in head and "пополнено" in head and "7 740,00" in text.replace("\xa0", " ")
            assert "-" not in text.splitlines()[2].split()[0]  # dates as Russian writes them


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ({"preset": "this month"}, ("2026-12-01", "2026-12-02")),
        ({"preset": "last month"}, ("2026-11-01", "2026-11-30")),
        ({"preset": "last quarter"}, ("2026-07-01", "2026-09-30")),
        ({"preset": "year to date"}, ("2026-01-01", "2026-12-02")),
        ({"last": "7d"}, ("2026-11-26", "2026-12-02")),
        ({"last": "2w"}, ("2026-11-19", "2026-12-02")),
    ],
)
def test_presets_on_2_december(flags: dict[str, str], expected: tuple[str, str]) -> None:
    import argparse
    import datetime as dt

    from smsstats_nb.cli._fetch import apply_preset

    a = argparse.Namespace(start=None, end=None, preset=None, last=None)
    for key, value in flags.items():
        setattr(a, key, value)
    apply_preset(a, dt.date(2026, 12, 2))
    assert (a.start, a.end) == expected


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--last-month", "--start", "2024-01-01"], "either a preset or --start/--end"),
        (["--last", "seven"], "--last takes a number of days or weeks"),
        ([], "give --start (and --end), or a preset"),
    ],
)
def test_a_preset_misused_is_one_clear_line(
    env: DemoServer, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert main(["fetch", *args]) == 2
    assert message in capsys.readouterr().err and env.stat_requests == 0


def test_last_month_from_the_command_line(env: DemoServer, capsys: pytest.CaptureFixture[str]) -> None:
    from smsstats_nb.core import moscow_today, preset_range

    a, b = preset_range("last month", moscow_today())
    assert main(["fetch", "--last-month"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith(f"statistics {a} – {b} (")


def test_sync_says_how_far_it_is_on_a_terminal(
    env: DemoServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sync keeps the same one line as fetch on a terminal: periods done and to go (the wait
    words are proven on a real pseudo-terminal by test_on_a_terminal_it_says_what_it_waits_for)."""
    _no_quota_minute(monkeypatch)
    monkeypatch.setattr("sys.stderr.isatty", lambda: True)
    assert main(["sync", "--since", "2024-02-28", "--end", "2024-03-01", "--once"]) == 0
    assert re.search(r"\r\d+/\d+ periods done, \d+ to go", capsys.readouterr().err)


@pytest.mark.slow  # runs the CLI in a pseudo-terminal subprocess
def test_on_an_80_column_terminal_the_russian_table_never_wraps(env: DemoServer) -> None:
    """The Russian table (longer words, spaces in numbers) on a real 80-column pseudo-terminal;
    the English one is checked at 80 columns in process, its wait line on the pseudo-terminal."""
    text, code = _pty_run(
        ["--lang", "ru", "fetch", "--start", "2024-01-01", "--end", "2024-01-31"], until="демо_маркет", interrupt=False
    )
    assert code == 0, text
    lines = [line for line in text.replace("\r", "").split("\n") if line.strip()]
    assert len(lines) == 6 and all(len(line) <= 80 for line in lines), lines  # a heading, the header, 4 logins
    assert "потрачено" in lines[1] and "пополнено" in lines[1]
