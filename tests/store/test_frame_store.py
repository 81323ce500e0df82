"""The parsed-answer store beside the HTTP cache: exact round trips, expiry, damage is a miss."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd

from smsstats_nb.client._transport import pieces_frame
from smsstats_nb.core._frames import make_frame
from smsstats_nb.store._frames import FrameStore, pack, unpack


def frame(logins: list[str]) -> pd.DataFrame:
    n = len(logins)
    return make_frame(logins, np.arange(n), np.linspace(0.5, 9.25, n), np.zeros(n), ["RUR"] * n)


def test_pack_unpack_is_exact_and_sorted_by_login() -> None:
    original = frame(["zeta", "демо", "alpha", "beta"])
    pieces = unpack(pack(original, "2024-02-01T00:00:00+00:00") or b"")
    assert pieces is not None and pieces.fetched_at == "2024-02-01T00:00:00+00:00"
    back = pieces_frame(pieces)
    expected = original.sort_values("login", kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected)
    back.loc[0, "sms"] = 99  # a frame from the store is writable (its own copies)
    empty = unpack(pack(frame([]), "t") or b"")
    assert empty is not None and len(pieces_frame(empty)) == 0


def test_what_cannot_be_stored_safely_is_not() -> None:
    assert pack(frame(["a\x00b"]), "t") is None
    assert unpack(b"not a pickle") is None


def test_expiry_and_damage(tmp_path: Path) -> None:
    store = FrameStore(tmp_path)
    blob = pack(frame(["a"]), "t") or b""
    store.put("closed", blob, None)
    store.put("recent", blob, time.time() + 60)
    store.put("expired", blob, time.time() - 1)
    assert set(store.get_many(["closed", "recent", "expired", "absent"])) == {"closed", "recent"}
    assert store.has_many(["closed", "expired"]) == {"closed"}
    store.close()
    (tmp_path / "frames.sqlite").write_bytes(b"this is not a database" * 100)
    for suffix in ("-wal", "-shm"):
        (tmp_path / f"frames.sqlite{suffix}").unlink(missing_ok=True)
    damaged = FrameStore(tmp_path)
    assert damaged.get_many(["closed"]) == {}  # a miss, never an error
    damaged.put("again", blob, None)  # and it is rebuilt
    assert set(damaged.get_many(["again"])) == {"again"}
    damaged.clear()
    assert damaged.get_many(["again"]) == {}


def test_a_stored_frame_is_never_unpickled(tmp_path: Path) -> None:
    """What frames.sqlite (or the team's Redis) holds is data: a planted pickle is a miss, never run."""
    import pickle

    planted = tmp_path / "pwned"

    class Boom:
        def __reduce__(self) -> object:
            return (planted.write_text, ("yes",))

    blob = pack(frame(["a"]), "t") or b""
    assert b"pickle" not in blob and not blob.startswith(b"\x80")  # raw columns behind a JSON header
    assert unpack(pickle.dumps(Boom())) is None and not planted.exists()
    old = pickle.dumps((2, "t", 1, b"a", b"RUR", b"\x00\x00", b"\x01" * 8, b"\x00" * 8, b"\x00" * 8))
    assert unpack(old) is None  # an older version's entry: a miss, rebuilt from the HTTP cache
    assert unpack(blob[:-3]) is None  # damaged: a miss


def test_a_lone_surrogate_is_never_packed() -> None:
    assert pack(frame(["shop\ud800"]), "t") is None  # a miss for the parsed store, never an error
