"""The stats frame schema, asserted (test code; the package only builds frames)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from smsstats_nb.core._frames import COLUMNS, DTYPES


def check_schema(df: pd.DataFrame) -> None:
    """Raise AssertionError when ``df`` does not follow the stats schema."""
    cols = [c for c in df.columns if c not in ("period_start", "period_end")]
    assert tuple(cols) == COLUMNS, f"columns {list(df.columns)}"
    for name, dtype in DTYPES.items():
        assert df[name].dtype == dtype, f"{name}: {df[name].dtype} != {dtype}"
    if "period_start" in df.columns:
        assert list(df.columns[:2]) == ["period_start", "period_end"], list(df.columns)
        for name in ("period_start", "period_end"):
            assert df[name].dtype == np.dtype("datetime64[ns]"), f"{name}: {df[name].dtype}"
