"""Plans the bundled sample (VN2-shaped: weekly sales, in-stock flags, stock state) with
the VN2 rules (lead time 2 weeks, weekly review, holding 0.2 and shortage 1.0 per unit)
and prints the decisions, notebook style.

    pip install ./crates/invsync-py
    python examples/python/plan_vn2.py [DIR]

DIR holds history.csv, in_stock.csv and state.csv (default: examples/data); a VN2 week-0
directory (`Week 0 - 2024-04-08 - Sales.csv`, ...) works too.
"""

import sys
from pathlib import Path

import pandas as pd

import invsync

data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "data"
if (data / "history.csv").exists():
    files = ("history.csv", "in_stock.csv", "state.csv")
else:
    files = ("Week 0 - 2024-04-08 - Sales.csv", "Week 0 - In Stock.csv", "Week 0 - 2024-04-08 - Initial State.csv")
history, in_stock, state = (pd.read_csv(data / f) for f in files)

table = invsync.plan(history, state, in_stock, lead_time=2, review_period=1, holding_cost=0.2, shortage_cost=1.0)

keys = list(table.columns[: len(table.columns) - len(invsync.PLAN_COLUMNS)])
shown = keys + ["order_qty", "target_stock", "safety_stock", "mu_w", "sigma_w", "policy", "expected_cost",
                "fill_rate", "status"]
with pd.option_context("display.max_rows", 60, "display.width", 160):
    print(table[shown].to_string(index=False))
print(f"\n{len(table)} items, {int(table['order_qty'].sum())} units to order, "
      f"total expected cost {table['expected_cost'].sum():.2f}")
print(table["status"].value_counts().to_string())

# One item's scenarios and the cost curve behind its decision.
item = "/".join(str(v) for v in table.loc[0, keys])
s = invsync.scenarios(history, item, state, in_stock, lead_time=2, review_period=1, holding_cost=0.2,
                      shortage_cost=1.0)
if s.values is not None:
    window = s.values[:, : s.window].sum(axis=1)
    print(f"\n{item}: {s.values.shape[0]} scenarios of {s.values.shape[1]} periods; demand over the "
          f"{s.window}-period window: mean {window.mean():.2f}, 90% quantile {pd.Series(window).quantile(0.9):.1f}")
    best = s.cost_curve.loc[s.cost_curve["expected_cost"].idxmin()]
    print(f"cheapest k on the curve: {best['k']:.1f} (expected cost {best['expected_cost']:.3f}); "
          f"decision: {s.policy}, order {s.order_qty:.0f}")
