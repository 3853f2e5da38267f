"""invsync for Python: scenario-based safety stock and order planning on data frames.

The planner is the Rust engine of the ``invsync`` command line, called in-process: the
same readers' rules, the same seeded per-item random streams, the same decisions. For the
same inputs and seed, :func:`plan` returns bit for bit the table ``invsync plan --out``
writes (tested against the binary).

Quick start::

    import pandas as pd
    import invsync

    history = pd.read_csv("examples/data/history.csv")
    state = pd.read_csv("examples/data/state.csv")
    table = invsync.plan(history, state, lead_time=2, review_period=1,
                         holding_cost=0.2, shortage_cost=1.0)
    print(table[["store", "product", "order_qty", "safety_stock", "status"]])

Tables can be pandas DataFrames, pyarrow Tables or RecordBatches, or anything with a
``to_pandas()`` method (polars DataFrames with pyarrow installed). The history is wide
(key columns, then one column per period headed by an ISO date) or long (key columns,
``date``, ``quantity``, optionally ``in_stock``), as ``invsync plan --history`` reads
it; see docs/python.md.
"""

from __future__ import annotations

import datetime as _dt
import io as _io
import os
import warnings as _warnings
from dataclasses import dataclass
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd

from . import _native
from ._native import InputError, InvsyncError

__all__ = [
    "InputError",
    "InvsyncError",
    "InvsyncWarning",
    "PLAN_COLUMNS",
    "Scenarios",
    "backtest",
    "plan",
    "plan_csv",
    "reconcile",
    "replay",
    "scenarios",
]

#: The plan's columns after the key columns, in order (docs/cli.md, "The plan columns").
PLAN_COLUMNS: tuple = tuple(_native.plan_columns())


class InvsyncWarning(UserWarning):
    """Input that is planned but looks wrong (``strict=True`` makes it an error)."""


def _frame(table: Any, what: str) -> pd.DataFrame:
    """A pandas DataFrame over ``table`` (pandas, pyarrow, or anything with to_pandas)."""
    if isinstance(table, pd.DataFrame):
        return table
    if hasattr(table, "to_pandas"):
        return table.to_pandas()
    raise TypeError(
        f"{what}: expected a pandas DataFrame, a pyarrow Table or an object with to_pandas(), "
        f"got {type(table).__name__}"
    )


def _name(label: Any) -> str:
    """A column label as the CSV header would spell it (dates as YYYY-MM-DD)."""
    if isinstance(label, (pd.Timestamp, _dt.datetime)):
        if label.hour or label.minute or label.second or label.microsecond:
            return str(label)
        return label.strftime("%Y-%m-%d")
    if isinstance(label, _dt.date):
        return label.isoformat()
    return str(label)


def _texts(col: pd.Series) -> list:
    """A key column as the CSV would hold it: text, missing as empty."""
    if pd.api.types.is_integer_dtype(col.dtype) or pd.api.types.is_string_dtype(col.dtype) and not col.hasnans:
        return col.astype(str).tolist()
    s = col.astype(object)
    missing = s.isna()
    out = s.astype(str)
    out[missing] = ""
    return out.tolist()


def _bad(what: str, row: int, col: int, name: str, value: Any, expected: str) -> InputError:
    err = InputError(f"{what}:{row + 2}: column {name} ({col + 1}): value {str(value)!r}: expected {expected}")
    err.file, err.line, err.row = what, row + 2, row
    err.column, err.column_index, err.value, err.item = name, col + 1, str(value), None
    return err


def _numbers(frame: pd.DataFrame, cols: Sequence[int], what: str) -> np.ndarray:
    """The columns as one C-ordered float64 block (rows x cols), NaN where missing.

    Numeric columns are taken as they are (one conversion, no per-cell Python calls);
    text columns are parsed as the CSV reader parses cells (empty, NA, NaN: missing).
    """
    block = frame.iloc[:, list(cols)]
    try:
        return np.ascontiguousarray(block.to_numpy(dtype=np.float64, na_value=np.nan))
    except (TypeError, ValueError):
        pass
    out = np.empty((len(frame), len(cols)), dtype=np.float64)
    for j, c in enumerate(cols):
        col = frame.iloc[:, c]
        if pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype):
            out[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        text = col.astype(object).where(col.notna(), "").astype(str).str.strip()
        missing = text.str.lower().isin(["", "na", "nan"])
        parsed = pd.to_numeric(text.where(~missing, "nan"), errors="coerce")
        bad = parsed.isna() & ~missing
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise _bad(what, row, c, _name(frame.columns[c]), col.iloc[row], "a number")
        out[:, j] = parsed.to_numpy(dtype=np.float64)
    return out


def _flags(frame: pd.DataFrame, cols: Sequence[int], what: str) -> np.ndarray:
    """In-stock flags (rows x cols, C order): true/false, 1/0 (any case) or bool; missing
    means in stock, as in the CSV."""
    out = np.empty((len(frame), len(cols)), dtype=np.bool_)
    for j, c in enumerate(cols):
        col = frame.iloc[:, c]
        if pd.api.types.is_bool_dtype(col.dtype) and not col.hasnans:
            out[:, j] = col.to_numpy(dtype=np.bool_)
            continue
        if pd.api.types.is_numeric_dtype(col.dtype):
            v = col.to_numpy(dtype=np.float64, na_value=np.nan)
            bad = ~(np.isnan(v) | (v == 0) | (v == 1))
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise _bad(what, row, c, _name(frame.columns[c]), col.iloc[row], "an in-stock flag: true/false or 1/0")
            out[:, j] = v != 0
            continue
        text = col.astype(object).where(col.notna(), "").astype(str).str.strip().str.lower()
        yes = text.isin(["", "true", "1"])
        no = text.isin(["false", "0"])
        bad = ~(yes | no)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise _bad(what, row, c, _name(frame.columns[c]), col.iloc[row], "an in-stock flag: true/false or 1/0")
        out[:, j] = yes.to_numpy()
    return out


def _dates(col: pd.Series) -> list:
    """A date column as YYYY-MM-DD text."""
    if pd.api.types.is_datetime64_any_dtype(col.dtype):
        return col.dt.strftime("%Y-%m-%d").fillna("").tolist()
    return [
        "" if v is None or (isinstance(v, float) and np.isnan(v)) else (_name(v) if isinstance(v, _dt.date) else str(v))
        for v in col.tolist()
    ]


def _is_long(names: Sequence[str]) -> bool:
    lower = [n.strip().lower() for n in names]
    return "date" in lower and "quantity" in lower


def _history(table: Any, key_columns: Optional[Sequence[str]], sorted_: bool) -> dict:
    df = _frame(table, "history")
    names = [_name(c) for c in df.columns]
    keys = list(key_columns) if key_columns is not None else None
    if _is_long(names):
        key_idx, d, q, s = _native.long_layout(names, keys, "history")
        out = {
            "shape": "long",
            "dates": _dates(df.iloc[:, d]),
            "quantities": np.ascontiguousarray(_numbers(df, [q], "history")[:, 0]),
            "in_stock": None if s is None else np.ascontiguousarray(_flags(df, [s], "history")[:, 0]),
            "sorted": bool(sorted_),
        }
    else:
        key_idx, periods = _native.wide_layout(names, keys, "history")
        out = {"shape": "wide", "values": _numbers(df, periods, "history")}
    out.update(
        names=names,
        key_columns=keys,
        keys=[_texts(df.iloc[:, i]) for i in key_idx],
        rows=len(df),
    )
    return out


def _in_stock(table: Any, key_names: Sequence[str]) -> dict:
    df = _frame(table, "in_stock")
    names = [_name(c) for c in df.columns]
    key_idx, periods = _native.wide_layout(names, list(key_names), "in_stock")
    return {
        "names": names,
        "keys": [_texts(df.iloc[:, i]) for i in key_idx],
        "rows": len(df),
        "values": _flags(df, periods, "in_stock"),
    }


def _csv_text(table: Any, what: str) -> Optional[str]:
    """A small side table (state, items, overrides) as CSV text for the CSV readers: a
    path is read as it is, a table written without its index (row r on line r + 2)."""
    if table is None:
        return None
    if isinstance(table, (str, os.PathLike)):
        with open(table, encoding="utf-8") as f:
            return f.read()
    df = _frame(table, what).rename(columns=_name)
    # A whole-number column with missing cells is float64 in pandas (1.0, NaN): written as
    # whole numbers, as the file it was read from had them.
    whole = {}
    for c in df.columns:
        col = df[c]
        if pd.api.types.is_float_dtype(col.dtype):
            v = col.to_numpy(dtype=np.float64, na_value=np.nan)
            known = v[~np.isnan(v)]
            if len(known) and np.all(np.isfinite(known)) and np.all(known == np.round(known)) \
                    and np.all(np.abs(known) < 2**53):
                whole[c] = "Int64"
    if whole:
        df = df.astype(whole)
    return df.to_csv(index=False, lineterminator="\n")


def _prepare(history, state, in_stock, items, overrides, *, lead_time, review_period, holding_cost,
             shortage_cost, scenarios, seed, profile, key_columns, sorted, strict, threads):
    h = _history(history, key_columns, sorted)
    flags = None
    if in_stock is not None:
        key_names = [h["names"][i] for i in _key_positions(h)]
        flags = _in_stock(in_stock, key_names)
    prepared = _native.prepare(
        h,
        flags,
        _csv_text(state, "state"),
        _csv_text(items, "items"),
        _csv_text(overrides, "overrides"),
        _whole(lead_time, "lead_time"),
        _whole(review_period, "review_period"),
        float(holding_cost),
        float(shortage_cost),
        _whole(scenarios, "scenarios"),
        _whole(seed, "seed"),
        str(profile),
        None if threads is None else _whole(threads, "threads"),
        bool(strict),
    )
    for w in prepared.warnings:
        _warnings.warn(w, InvsyncWarning, stacklevel=3)
    return prepared


def _key_positions(h: dict) -> list:
    if h["shape"] == "long":
        return _native.long_layout(h["names"], h["key_columns"], "history")[0]
    return _native.wide_layout(h["names"], h["key_columns"], "history")[0]


def _whole(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        err = InputError(f"{name}: expected a whole number >= 0, got {v!r}")
        err.file = err.line = err.row = err.column = err.column_index = err.item = None
        err.value = repr(v)
        raise err
    return int(v)


_DOC_ARGS = """
    history: demand history, wide or long (as ``invsync plan --history``).
    state: stock state (key columns, ``on_hand``, ``arriving_1`` ..; the VN2 names are
        accepted), a table or a CSV path. Without it every item starts empty.
    in_stock: in-stock flags in the history's wide shape (``False`` = out of stock).
    items: per-item settings (as ``--items``), a table or a CSV path.
    lead_time, review_period: periods; holding_cost, shortage_cost: per unit and period.
    scenarios, seed: scenarios per item and the master seed (each item's stream comes from
        the seed and its key, so results depend on neither the thread count nor the order).
    profile: ``"default"`` or ``"vn2"`` (``--profile``).
    overrides: planner overrides (as ``--overrides``), a table or a CSV path.
    key_columns: the history's key columns (default: every column that is not a date).
    sorted: the long history is sorted by key (as ``--sorted``).
    strict: refuse in-stock rows matching no item and flags outside the history.
    threads: worker threads (default: every core); results do not depend on it.
"""


def plan(history: Any, state: Any = None, in_stock: Any = None, items: Any = None, *, lead_time: int,
         review_period: int, holding_cost: float, shortage_cost: float, scenarios: int = 1000, seed: int = 42,
         profile: str = "default", overrides: Any = None, key_columns: Optional[Sequence[str]] = None,
         sorted: bool = False, strict: bool = False, threads: Optional[int] = None) -> pd.DataFrame:
    """Plans every item: one row per item, the key columns then :data:`PLAN_COLUMNS`.

    The values are exactly those of the table ``invsync plan --out`` writes for the same
    inputs and seed (numbers carry at most 4 decimals; an empty cell is NaN). The GIL is
    released while planning.

    Raises :class:`InputError` (with ``file``, ``line``, ``row``, ``column``, ``value``,
    ``item``) for bad input or settings.
    """
    prepared = _prepare(history, state, in_stock, items, overrides, lead_time=lead_time,
                        review_period=review_period, holding_cost=holding_cost, shortage_cost=shortage_cost,
                        scenarios=scenarios, seed=seed, profile=profile, key_columns=key_columns,
                        sorted=sorted, strict=strict, threads=threads)
    _, columns = prepared.plan()
    return pd.DataFrame(dict(columns))


def plan_csv(history: Any, state: Any = None, in_stock: Any = None, items: Any = None, *, lead_time: int,
             review_period: int, holding_cost: float, shortage_cost: float, scenarios: int = 1000, seed: int = 42,
             profile: str = "default", overrides: Any = None, key_columns: Optional[Sequence[str]] = None,
             sorted: bool = False, strict: bool = False, threads: Optional[int] = None) -> str:
    """As :func:`plan`, returning the CSV text ``invsync plan --out`` writes, byte for byte."""
    prepared = _prepare(history, state, in_stock, items, overrides, lead_time=lead_time,
                        review_period=review_period, holding_cost=holding_cost, shortage_cost=shortage_cost,
                        scenarios=scenarios, seed=seed, profile=profile, key_columns=key_columns,
                        sorted=sorted, strict=strict, threads=threads)
    text, _ = prepared.plan()
    return text


@dataclass(frozen=True)
class Scenarios:
    """One item's demand scenarios and decision (see :func:`scenarios`)."""

    #: The item's key as the planner names it (key values joined by ``/``).
    item: str
    #: Demand scenarios, shape (scenarios, simulated periods L + R + carry-over): the
    #: buffer the planner drew them into, handed over without a copy (``values.base``
    #: holds it). None for a blocked item.
    values: Optional[np.ndarray]
    #: Each scenario's total over the simulated periods. None for a blocked item.
    totals: Optional[np.ndarray]
    #: The periods L + R of ``mu_w`` and ``sigma_w`` (the first ``window`` columns).
    window: int
    #: The plan's mean and standard deviation of demand over the first ``window`` periods.
    mu_w: Optional[float]
    sigma_w: Optional[float]
    #: Expected cost of the target mu_W + k sigma_W over k: columns ``k``, ``expected_cost``.
    cost_curve: Optional[pd.DataFrame]
    #: Every candidate policy evaluated on these scenarios: ``policy``, ``parameter``,
    #: ``target``, ``order_qty``, ``expected_cost``.
    candidates: Optional[pd.DataFrame]
    #: The decision: winning policy (``blocked`` without scenarios), order and target.
    policy: str
    order_qty: float
    target_stock: Optional[float]
    #: The point forecast, the cascade level and why.
    forecast: np.ndarray
    cascade_level: int
    reason: str
    forecast_method: str


def scenarios(history: Any, item: str, state: Any = None, in_stock: Any = None, items: Any = None, *,
              lead_time: int, review_period: int, holding_cost: float, shortage_cost: float,
              scenarios: int = 1000, seed: int = 42, profile: str = "default", overrides: Any = None,
              key_columns: Optional[Sequence[str]] = None, sorted: bool = False,
              strict: bool = False) -> Scenarios:
    """One item's scenario set (the very draws :func:`plan` decides on) and its cost curve.

    ``item`` is the key as the plan names it (key values joined by ``/``, e.g.
    ``"S1/P001"``). The whole history is read (seasonality is pooled over it, as the
    plan pools it). ``values`` is a NumPy array over the Rust buffer the scenarios were
    drawn into, handed over without a copy.
    """
    prepared = _prepare(history, state, in_stock, items, overrides, lead_time=lead_time,
                        review_period=review_period, holding_cost=holding_cost, shortage_cost=shortage_cost,
                        scenarios=scenarios, seed=seed, profile=profile, key_columns=key_columns,
                        sorted=sorted, strict=strict, threads=1)
    d = prepared.scenarios(str(item))
    curve = d["cost_curve"]
    cands = d["candidates"]
    return Scenarios(
        item=d["item"],
        values=d["values"],
        totals=d["totals"],
        window=d["window"],
        mu_w=d["mu_w"],
        sigma_w=d["sigma_w"],
        cost_curve=None if curve is None else pd.DataFrame({"k": curve[:, 0], "expected_cost": curve[:, 1]}),
        candidates=None if cands is None else pd.DataFrame(cands),
        policy=d["policy"],
        order_qty=d["order_qty"],
        target_stock=d["target_stock"],
        forecast=d["forecast"],
        cascade_level=d["cascade_level"],
        reason=d["reason"],
        forecast_method=d["forecast_method"],
    )


def backtest(history: Any, in_stock: Any = None, *, lead_time: int = 2, review_period: int = 1,
             holding_cost: float = 0.2, shortage_cost: float = 1.0, windows: int = 8, window_periods: int = 8,
             decisions: int = 6, count_from: int = 3, warmup: int = 8, scenarios: int = 1000, seed: int = 42,
             profile: str = "default", key_columns: Optional[Sequence[str]] = None, strict: bool = False,
             threads: Optional[int] = None) -> pd.DataFrame:
    """Rolling-origin pseudo-competitions, as ``invsync backtest`` (protocol in docs/vn2.md).

    invsync (exactly the decisions :func:`plan` would make at each origin) against the
    replayed VN2 organizer benchmark. One row per window and a last row ``total``:
    ``window``, ``origin`` (the origin period's date), ``invsync`` and ``benchmark`` (their
    costs), ``ratio`` (benchmark / invsync, NaN when invsync's cost is 0), and per rule
    ``*_holding``, ``*_shortage``, ``*_demand``, ``*_sold``. The GIL is released while it runs.
    """
    prepared = _prepare(history, None, in_stock, None, None, lead_time=lead_time, review_period=review_period,
                        holding_cost=holding_cost, shortage_cost=shortage_cost, scenarios=scenarios, seed=seed,
                        profile=profile, key_columns=key_columns, sorted=False, strict=strict, threads=threads)
    ours, theirs = prepared.backtest(_whole(windows, "windows"), _whole(window_periods, "window_periods"),
                                     _whole(decisions, "decisions"), _whole(count_from, "count_from"),
                                     _whole(warmup, "warmup"))
    n = len(ours["origins"])
    out = pd.DataFrame({
        "window": [str(k + 1) for k in range(n)] + ["total"],
        "origin": list(ours["origin_dates"]) + [""],
        "invsync": ours["cost"],
        "benchmark": theirs["cost"],
    })
    cost = out["invsync"].to_numpy()
    out["ratio"] = np.where(cost > 0, out["benchmark"].to_numpy() / np.where(cost > 0, cost, 1.0), np.nan)
    for name, r in (("invsync", ours), ("benchmark", theirs)):
        for f in ("holding", "shortage", "demand", "sold"):
            out[f"{name}_{f}"] = r[f]
    return out


def _report_frame(text: str) -> pd.DataFrame:
    return pd.read_csv(_io.StringIO(text), keep_default_na=False, na_values=[""],
                       dtype={"item": str, "location": str})


def replay(events: Any, *, as_of: Any = None, item: Optional[str] = None, location: Optional[str] = None,
           allow_negative: bool = False, keep_going: bool = False) -> pd.DataFrame:
    """Replays ledger events into balances, as ``invsync replay``.

    ``events`` is a table or a CSV path in the event format of docs/cli.md (read a CSV
    with ``dtype=str`` so identifiers and numbers stay as written). Returns one row per
    item x location (quantity states and value, as of ``as_of`` when given: an RFC 3339
    text or a datetime), or with ``item`` and ``location`` that pair's audited running
    history. A refused event is an :class:`InputError` at its line, or with
    ``keep_going=True`` an :class:`InvsyncWarning`.
    """
    text, refused = _native.replay_csv(_csv_text(events, "events"), _instant(as_of), item, location,
                                       bool(allow_negative), bool(keep_going))
    for r in refused:
        _warnings.warn(f"refused: {r}", InvsyncWarning, stacklevel=2)
    return _report_frame(text)


def reconcile(events: Any, counts: Any, as_of: Any, *, approval_threshold: Any = "1000",
              floor: int = 0) -> pd.DataFrame:
    """Counts against the ledger of ``events`` as of ``as_of``, as ``invsync reconcile``.

    One row per record (system and counted quantities, variance in units and value, ABC
    class, status, whether the correction needs approval); ``attrs`` holds ``accuracy``,
    ``absolute_variance``, ``absolute_value`` and ``net_variance``.
    """
    text, accuracy, absolute, value, net = _native.reconcile_csv(
        _csv_text(events, "events"), _csv_text(counts, "counts"), _instant(as_of), str(approval_threshold),
        _whole(floor, "floor"))
    out = _report_frame(text)
    out.attrs.update(accuracy=accuracy, absolute_variance=absolute, absolute_value=value, net_variance=net)
    return out


def _instant(t: Any) -> Optional[str]:
    if t is None:
        return None
    if isinstance(t, _dt.datetime):
        ts = pd.Timestamp(t)
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
        return ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if isinstance(t, _dt.date):
        return t.isoformat()
    return str(t)


for _f in (plan, plan_csv, scenarios):
    _f.__doc__ = (_f.__doc__ or "") + "\n    Arguments:" + _DOC_ARGS
