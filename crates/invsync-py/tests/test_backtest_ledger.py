"""backtest, replay and reconcile against the command line."""

from __future__ import annotations

import subprocess

import pandas as pd
import pytest

import invsync
from conftest import DATA


def cli(invsync_bin, *args) -> str:
    done = subprocess.run([str(invsync_bin), *map(str, args)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_backtest_is_the_cli_table(invsync_bin, sample):
    args = ["--windows", 2, "--window-periods", 4, "--decisions", 2, "--count-from", 2, "--warmup", 8,
            "--scenarios", 200]
    text = cli(invsync_bin, "backtest", "--history", DATA / "history.csv", "--in-stock", DATA / "in_stock.csv",
               *args)
    got = invsync.backtest(sample["history"], sample["in_stock"], windows=2, window_periods=4, decisions=2,
                           count_from=2, warmup=8, scenarios=200)
    rows = [line.split() for line in text.splitlines()[1:] if line.split() and line.split()[0] in ("1", "2", "total")]
    assert len(rows) == len(got) == 3
    for want, (_, row) in zip(rows, got.iterrows()):
        if want[0] == "total":
            want = [want[0], "", *want[1:]]
        assert [row["window"], row["origin"], f"{row['invsync']:.1f}", f"{row['benchmark']:.1f}",
                f"{row['ratio']:.4f}"] == want
    assert got["invsync"].iloc[-1] == pytest.approx(got["invsync"].iloc[:-1].sum())
    with pytest.raises(invsync.InputError, match="periods are needed"):
        invsync.backtest(sample["history"], windows=40, window_periods=8)


def test_replay_and_reconcile_are_the_cli_reports(invsync_bin, tmp_path):
    events = pd.read_csv(DATA / "events.csv", dtype=str)
    for extra, kwargs in [((), {}), (("--as-of", "2024-04-05T12:00:00Z"), {"as_of": "2024-04-05T12:00:00Z"}),
                          (("--item", "SKU-100", "--location", "S1"), {"item": "SKU-100", "location": "S1"})]:
        out = tmp_path / "replay.csv"
        cli(invsync_bin, "replay", "--events", DATA / "events.csv", *extra, "--out", out)
        want = invsync._report_frame(out.read_text())
        got = invsync.replay(events, **kwargs)
        pd.testing.assert_frame_equal(got, want)
        assert len(got) > 0
    out = tmp_path / "reconcile.csv"
    cli(invsync_bin, "reconcile", "--counts", DATA / "counts.csv", "--events", DATA / "events.csv",
        "--as-of", "2024-04-07", "--out", out)
    got = invsync.reconcile(events, pd.read_csv(DATA / "counts.csv", dtype=str), "2024-04-07")
    pd.testing.assert_frame_equal(got, invsync._report_frame(out.read_text()))
    assert 0.0 <= got.attrs["accuracy"] <= 1.0
    # Paths work as tables do.
    pd.testing.assert_frame_equal(invsync.reconcile(DATA / "events.csv", DATA / "counts.csv", "2024-04-07"), got)


def test_event_errors_name_the_line_and_item():
    events = pd.read_csv(DATA / "events.csv", dtype=str)
    events.loc[4, "qty"] = "lots"
    with pytest.raises(invsync.InputError) as info:
        invsync.replay(events)
    e = info.value
    assert (e.file, e.line, e.row, e.column, e.value) == ("events", 6, 4, "qty", "lots")
    with pytest.raises(invsync.InputError, match="as_of"):
        invsync.replay(pd.read_csv(DATA / "events.csv", dtype=str), as_of="yesterday")
