from dataclasses import dataclass
from os import PathLike
from typing import Any, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt
import pandas as pd

# A pandas DataFrame, a pyarrow Table or RecordBatch, or anything with to_pandas().
Table = Any
# A side table (state, items, overrides): a table or the path of a CSV file.
SideTable = Union[Table, str, PathLike]

PLAN_COLUMNS: tuple[str, ...]

class InvsyncError(Exception):
    """Base class of every error invsync raises."""

class InputError(InvsyncError):
    """Bad input or settings, with where: None where it does not apply."""

    file: Optional[str]
    """The argument the error is in: "history", "in_stock", "state", "items", "overrides"."""
    line: Optional[int]
    """1 for the header (column names), row + 2 for a row: the line of the table written as CSV."""
    row: Optional[int]
    """Zero-based position of the row in the table (``df.iloc[row]``)."""
    column: Optional[str]
    column_index: Optional[int]
    """One-based position of the column."""
    value: Optional[str]
    item: Optional[str]
    """The item's key (key values joined by "/")."""

class InvsyncWarning(UserWarning): ...

def plan(
    history: Table,
    state: Optional[SideTable] = None,
    in_stock: Optional[Table] = None,
    items: Optional[SideTable] = None,
    *,
    lead_time: int,
    review_period: int,
    holding_cost: float,
    shortage_cost: float,
    scenarios: int = 1000,
    seed: int = 42,
    profile: str = "default",
    overrides: Optional[SideTable] = None,
    key_columns: Optional[Sequence[str]] = None,
    sorted: bool = False,
    strict: bool = False,
    threads: Optional[int] = None,
) -> pd.DataFrame: ...
def plan_csv(
    history: Table,
    state: Optional[SideTable] = None,
    in_stock: Optional[Table] = None,
    items: Optional[SideTable] = None,
    *,
    lead_time: int,
    review_period: int,
    holding_cost: float,
    shortage_cost: float,
    scenarios: int = 1000,
    seed: int = 42,
    profile: str = "default",
    overrides: Optional[SideTable] = None,
    key_columns: Optional[Sequence[str]] = None,
    sorted: bool = False,
    strict: bool = False,
    threads: Optional[int] = None,
) -> str: ...
@dataclass(frozen=True)
class Scenarios:
    item: str
    values: Optional[npt.NDArray[np.float64]]
    totals: Optional[npt.NDArray[np.float64]]
    window: int
    mu_w: Optional[float]
    sigma_w: Optional[float]
    cost_curve: Optional[pd.DataFrame]
    candidates: Optional[pd.DataFrame]
    policy: str
    order_qty: float
    target_stock: Optional[float]
    forecast: npt.NDArray[np.float64]
    cascade_level: int
    reason: str
    forecast_method: str

def scenarios(
    history: Table,
    item: str,
    state: Optional[SideTable] = None,
    in_stock: Optional[Table] = None,
    items: Optional[SideTable] = None,
    *,
    lead_time: int,
    review_period: int,
    holding_cost: float,
    shortage_cost: float,
    scenarios: int = 1000,
    seed: int = 42,
    profile: str = "default",
    overrides: Optional[SideTable] = None,
    key_columns: Optional[Sequence[str]] = None,
    sorted: bool = False,
    strict: bool = False,
) -> Scenarios: ...

def backtest(
    history: Table,
    in_stock: Optional[Table] = None,
    *,
    lead_time: int = 2,
    review_period: int = 1,
    holding_cost: float = 0.2,
    shortage_cost: float = 1.0,
    windows: int = 8,
    window_periods: int = 8,
    decisions: int = 6,
    count_from: int = 3,
    warmup: int = 8,
    scenarios: int = 1000,
    seed: int = 42,
    profile: str = "default",
    key_columns: Optional[Sequence[str]] = None,
    strict: bool = False,
    threads: Optional[int] = None,
) -> pd.DataFrame: ...
def replay(
    events: SideTable,
    *,
    as_of: Any = None,
    item: Optional[str] = None,
    location: Optional[str] = None,
    allow_negative: bool = False,
    keep_going: bool = False,
) -> pd.DataFrame: ...
def reconcile(
    events: SideTable,
    counts: SideTable,
    as_of: Any,
    *,
    approval_threshold: Any = "1000",
    floor: int = 0,
) -> pd.DataFrame: ...
