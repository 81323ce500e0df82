"""The smsstats command: output, files, exit codes, and no password from or to the command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from smsstats_nb.cli import main
from smsstats_nb.demo import DemoServer

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
    assert "demo_shop" in out.out and "демо_маркет" in out.out and "11104" in out.out
    assert env.psw not in out.out + out.err


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_fetch_writes_a_file(env: DemoServer, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"jan{suffix}"
    assert main(["fetch", "--start", "2024-01-01", "--end", "2024-01-31", "--mycur", "--output", str(target)]) == 0
    df = pd.read_csv(target) if suffix == ".csv" else pd.DataFrame(json.loads(target.read_text(encoding="utf-8")))
    assert list(df.columns) == ["login", "sms", "credit", "debit", "currency"]
    assert set(df["currency"]) == {"KZT"} and len(df) == 4


def test_fetch_series_with_plot(env: DemoServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "plot.png"
    assert main(["fetch", "--start", "2024-01-01", "--end", "2024-03-31", "--freq", "MS", "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "period_start" in capsys.readouterr().out


def test_unknown_output_suffix_is_a_usage_error(env: DemoServer, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fetch", "--start", "2024-01-01", "--output", "x.xlsx"]) == 2
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
        ("wrong_password", ["--start", "2024-01-01"], 3, "AuthError"),
        ("none", ["--start", "31.02.2024"], 2, "QueryError"),
        ("error9", ["--start", "2024-01-01", "--no-wait"], 4, "RateLimitError"),
        ("error7", ["--start", "2024-01-01"], 5, "SmscError"),
        ("html", ["--start", "2024-01-01"], 6, "ResponseFormatError"),
        ("502", ["--start", "2024-01-01"], 7, "TransportError"),
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
    assert "entries: 2" in capsys.readouterr().out
    assert main(["cache", "clear", "--cache-dir", str(cache_dir)]) == 0
    assert "removed 2" in capsys.readouterr().out
    main(["cache", "info"])
    assert "entries: 0" in capsys.readouterr().out


def test_demo_command_writes_csv_and_png(tmp_path: Path) -> None:
    out = tmp_path / "demo-out"
    proc = subprocess.run(
        [sys.executable, "-m", "smsstats_nb.cli", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "demo_shop" in proc.stdout and str(out) in proc.stdout
    assert (out / "sms_per_login.png").read_bytes()[:4] == b"\x89PNG"
    assert len(pd.read_csv(out / "stats.csv")) == 4
    assert "demo-password" not in proc.stdout + proc.stderr


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
