"""Shared fixtures: the repository's sample data and the `invsync` command line binary."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / "examples" / "data"
VN2 = ROOT.parent / "shared" / "data" / "vn2"

#: The sample's planner settings (README's quick start).
SETTINGS = dict(lead_time=2, review_period=1, holding_cost=0.2, shortage_cost=1.0)


def cli_flags(settings: dict) -> list:
    out = []
    for k, v in settings.items():
        out += ["--" + k.replace("_", "-"), str(v)]
    return out


@pytest.fixture(scope="session")
def invsync_bin() -> Path:
    """The command line to compare with: $INVSYNC_BIN, else target/release/invsync (built
    by .ci/run before pytest). Missing is a failure, not a skip: the comparison is the point."""
    path = Path(os.environ.get("INVSYNC_BIN", ROOT / "target" / "release" / "invsync"))
    assert path.exists(), f"{path}: build it with `cargo build --release -p invsync-cli` or set INVSYNC_BIN"
    return path


@pytest.fixture(scope="session")
def run_cli(invsync_bin, tmp_path_factory):
    """Runs `invsync plan` with the given file arguments and settings; returns the --out text."""

    def run(files: dict, settings: dict, extra: tuple = ()) -> str:
        out = tmp_path_factory.mktemp("cli") / "plan.csv"
        args = [str(invsync_bin), "plan"]
        for flag, path in files.items():
            args += ["--" + flag.replace("_", "-"), str(path)]
        args += cli_flags(settings) + list(extra) + ["--out", str(out)]
        done = subprocess.run(args, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return out.read_text()

    return run


@pytest.fixture(scope="session")
def sample():
    """The bundled sample as pandas reads it by default."""
    return {
        "history": pd.read_csv(DATA / "history.csv"),
        "history_long": pd.read_csv(DATA / "history_long.csv"),
        "in_stock": pd.read_csv(DATA / "in_stock.csv"),
        "state": pd.read_csv(DATA / "state.csv"),
    }
