"""Error mapping (Python exceptions carrying the Rust error's position) and scenario sets."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import invsync
from conftest import SETTINGS


def key(frame: pd.DataFrame, row: int) -> str:
    return f"{frame.loc[row, 'store']}/{frame.loc[row, 'product']}"


def raises(fn, **attrs) -> invsync.InputError:
    with pytest.raises(invsync.InputError) as info:
        fn()
    e = info.value
    assert isinstance(e, invsync.InvsyncError) and isinstance(e, Exception)
    for k, v in attrs.items():
        assert getattr(e, k) == v, (k, getattr(e, k), str(e))
    return e


def test_a_negative_demand_names_row_column_value_and_item(sample):
    h = sample["history"].copy()
    h.loc[3, "2021-05-03"] = -2.0
    e = raises(lambda: invsync.plan(h, sample["state"], **SETTINGS),
               file="history", line=5, row=3, column="2021-05-03", column_index=6, value="-2", item=key(h, 3))
    assert "demand cannot be negative" in str(e)


def test_text_cells_are_parsed_as_the_csv_reader_parses_them(sample):
    h = sample["history"].astype({"2021-05-03": object})
    h.loc[:, "2021-05-03"] = "NA"
    h.loc[7, "2021-05-03"] = "lots"
    raises(lambda: invsync.plan(h, **SETTINGS), file="history", row=7, column="2021-05-03", value="lots")
    h.loc[7, "2021-05-03"] = "NaN"
    assert len(invsync.plan(h, **SETTINGS)) == 40


def test_header_errors_are_at_line_1(sample):
    h = sample["history"].rename(columns={"2021-04-19": "2021-04-20"})
    e = raises(lambda: invsync.plan(h, **SETTINGS), file="history", line=1, row=None, column="2021-04-20")
    assert "dates ascending on one calendar" in str(e)


def test_duplicate_keys_missing_state_and_unknown_items_name_the_item(sample):
    h = pd.concat([sample["history"], sample["history"].iloc[[5]]], ignore_index=True)
    raises(lambda: invsync.plan(h, **SETTINGS), file="history", line=42, item=key(h, 40))
    state = sample["state"][sample["state"]["product"] != "P009"]
    raises(lambda: invsync.plan(sample["history"], state, **SETTINGS), item=key(sample["history"], 9))
    items = pd.DataFrame({"store": ["S1", "ZZ"], "product": ["P001", "P404"], "moq": [5, 5]})
    raises(lambda: invsync.plan(sample["history"], items=items, **SETTINGS), file="items", line=3, item="ZZ/P404")
    items = pd.DataFrame({"store": ["S1"], "product": ["P001"], "moq": [10], "max_order": [5]})
    raises(lambda: invsync.plan(sample["history"], items=items, **SETTINGS), file="items", line=2, item="S1/P001")
    flags = pd.concat([sample["in_stock"], sample["in_stock"].iloc[[0]]], ignore_index=True)
    raises(lambda: invsync.plan(sample["history"], in_stock=flags, **SETTINGS), file="in_stock", line=42,
           item=key(flags, 0))


def test_state_errors_carry_the_csv_position(sample):
    state = sample["state"].copy()
    state.loc[2, "arriving_1"] = -1
    raises(lambda: invsync.plan(sample["history"], state, **SETTINGS),
           file="state", line=4, row=2, column="arriving_1", value="-1")


def test_long_history_errors(sample):
    long = sample["history_long"]
    swapped = pd.concat([long.iloc[:3], long.iloc[[5]], long.iloc[3:5], long.iloc[6:]], ignore_index=True)
    raises(lambda: invsync.plan(swapped, **SETTINGS), file="history", line=6, column="date")
    bad = long.copy()
    bad.loc[4, "date"] = "2024-02-30"
    raises(lambda: invsync.plan(bad, **SETTINGS), file="history", row=4, value="2024-02-30")
    bad = long.astype({"in_stock": object})
    bad.loc[4, "in_stock"] = "maybe"
    raises(lambda: invsync.plan(bad, **SETTINGS), file="history", row=4, column="in_stock")


def test_settings_errors(sample):
    e = raises(lambda: invsync.plan(sample["history"], **{**SETTINGS, "scenarios": 1}), file=None, item=None)
    assert "scenarios" in str(e)
    raises(lambda: invsync.plan(sample["history"], **SETTINGS, profile="fast"))
    raises(lambda: invsync.plan(sample["history"], **{**SETTINGS, "lead_time": -1}))
    with pytest.raises(TypeError):
        invsync.plan([1, 2, 3], **SETTINGS)


def test_unmatched_in_stock_rows_warn_or_fail_under_strict(sample):
    flags = sample["in_stock"].copy()
    flags.loc[0, "store"] = "S99"
    with pytest.warns(invsync.InvsyncWarning, match="match no history item"):
        invsync.plan(sample["history"], in_stock=flags, **SETTINGS)
    raises(lambda: invsync.plan(sample["history"], in_stock=flags, strict=True, **SETTINGS),
           file="in_stock", line=2, item="S99/P000")


def test_scenarios_are_handed_over_without_a_copy(sample):
    s = invsync.scenarios(sample["history"], "S1/P001", sample["state"], sample["in_stock"], **SETTINGS)
    v = s.values
    assert v.shape == (1000, 4) and v.dtype == np.float64 and s.window == 3
    # NumPy did not allocate (and fill) a buffer of its own: the array is a view over the
    # Rust vector the scenarios were drawn into, kept alive by `base`.
    assert not v.flags["OWNDATA"] and v.base is not None and not isinstance(v.base, np.ndarray)
    assert v.flags["C_CONTIGUOUS"] and v.flags["WRITEABLE"]
    assert (v >= 0).all() and np.array_equal(s.totals, v.sum(axis=1))


def test_scenarios_are_the_draws_the_plan_decided_on(sample):
    plan = invsync.plan(sample["history"], sample["state"], sample["in_stock"], **SETTINGS)
    for key in ["S1/P001", "S2/P002", "S1/P007"]:
        row = plan[plan["store"] + "/" + plan["product"] == key].iloc[0]
        s = invsync.scenarios(sample["history"], key, sample["state"], sample["in_stock"], **SETTINGS)
        window = s.values[:, : s.window].sum(axis=1)
        assert round(window.mean(), 4) == pytest.approx(row["mu_w"], abs=1e-9)
        assert round(window.std(ddof=1), 4) == pytest.approx(row["sigma_w"], abs=1e-9)
        assert s.order_qty == row["order_qty"] and s.policy == row["policy"]
        # The winner is the cheapest candidate, and the cost curve is over k.
        assert s.candidates["expected_cost"].min() == pytest.approx(s.candidates[
            s.candidates["policy"] == s.policy]["expected_cost"].min())
        assert list(s.cost_curve.columns) == ["k", "expected_cost"] and s.cost_curve["k"].is_monotonic_increasing
    again = invsync.scenarios(sample["history"], "S1/P001", sample["state"], **SETTINGS)
    other = invsync.scenarios(sample["history"], "S1/P001", sample["state"], **{**SETTINGS, "seed": 43})
    assert np.array_equal(again.values, invsync.scenarios(sample["history"], "S1/P001", sample["state"],
                                                           **SETTINGS).values)
    assert not np.array_equal(again.values, other.values)
    raises(lambda: invsync.scenarios(sample["history"], "S1/P999", **SETTINGS))


def test_a_blocked_item_has_no_scenarios():
    h = pd.read_csv(io.StringIO("store,2024-01-01,2024-01-08\nA,,\n"))
    s = invsync.scenarios(h, "A", **SETTINGS)
    assert s.values is None and s.policy == "blocked" and s.order_qty == 0 and s.cascade_level == 0


def test_a_planner_error_names_the_item(sample):
    state = sample["state"].copy()
    state["arriving_3"] = 0
    state.loc[4, "arriving_3"] = 5  # beyond the lead time of 2: refused by the planner
    e = raises(lambda: invsync.plan(sample["history"], state, **SETTINGS),
               file="history", line=None, row=None, item=key(state, 4))
    assert key(state, 4) in str(e)
