"""The clean clickstream behind :mod:`emrlab.etl.datagen`: users, products, sessions, JSON lines.

Taught in notebooks/02_spark_etl.ipynb (through :func:`emrlab.etl.datagen.generate`, which plants
the faults). Users and products follow Zipf-like laws (a few heavy users, popular products);
gaps inside a session are exponential, with some exactly 30:00 (same session) and some a
little past it (a new session); purchases end some sessions that had an add-to-cart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EVENT_TYPES = ("view", "search", "add_to_cart", "remove_from_cart", "purchase")
DEVICES = ("mobile", "desktop", "tablet")
COUNTRIES = ("DE", "FR", "GB", "US", "ES", "IT", "NL", "PL", "SE", "JP", "BR", "IN")
CATEGORIES = (
    "books", "music", "garden", "toys", "games", "kitchen", "sports", "beauty", "shoes",
    "phones", "laptops", "cameras", "grocery", "pets", "baby", "tools", "office", "auto",
)
DAY_US = 86_400_000_000
_NULL = np.asarray(None)  # np.where's missing value: same object result as None, which numpy's stubs reject
GAP_30_MIN_US = 1_800_000_000


class World:
    """Users, products and their fixed attributes for one seed and size."""

    def __init__(self, rng: np.random.Generator, n_events: int):
        self.n_users = max(50, n_events // 40)
        ranks = np.arange(1, self.n_users + 1)
        self.user_cdf = np.cumsum(1.0 / ranks**1.1)
        self.user_cdf /= self.user_cdf[-1]
        self.user_buy = np.where(ranks <= max(1, self.n_users // 100), 0.35, 0.12)
        self.user_device = rng.choice(3, self.n_users, p=[0.55, 0.35, 0.10])
        self.user_country = rng.integers(0, len(COUNTRIES), self.n_users)
        self.n_products = 2000
        pranks = np.arange(1, self.n_products + 1)
        self.product_cdf = np.cumsum(1.0 / pranks**1.2)
        self.product_cdf /= self.product_cdf[-1]
        self.product_cat = rng.integers(0, len(CATEGORIES), self.n_products)
        self.product_price = np.round(rng.lognormal(3.0, 0.8, self.n_products), 2)


def sessions(rng, world: World, n: int, day_start_us: int) -> pd.DataFrame:
    """At least ``n`` clean events of whole sessions within one day, sorted by time."""
    n_sessions = max(1, int(n / 7) + 16)
    length = np.minimum(rng.geometric(1 / 8, n_sessions), 60)
    while length.sum() < n:
        length = np.concatenate([length, np.minimum(rng.geometric(1 / 8, n_sessions), 60)])
    n_sessions = len(length)
    user = np.searchsorted(world.user_cdf, rng.random(n_sessions))
    intent = rng.random(n_sessions) < world.user_buy[user]
    total = int(length.sum())
    sess = np.repeat(np.arange(n_sessions), length)
    first = np.concatenate([[0], np.cumsum(length)[:-1]])
    pos = np.arange(total) - np.repeat(first, length)
    gap = rng.exponential(40e6, total).astype(np.int64) + 1000
    special = rng.random(total)
    gap[special < 0.01] = GAP_30_MIN_US  # exactly 30:00: the same session
    gap[(special >= 0.01) & (special < 0.015)] = GAP_30_MIN_US + 123  # 30:00.000123: a new one
    gap[pos == 0] = 0
    offset = np.cumsum(gap) - np.repeat(np.cumsum(gap)[first], length)
    duration = offset[np.cumsum(length) - 1]
    start = (rng.random(n_sessions) * np.maximum(DAY_US - 1 - duration, 1)).astype(np.int64)
    ts = day_start_us + np.repeat(start, length) + offset
    u = rng.random(total)
    cart_p = np.where(intent[sess], 0.30, 0.08)
    etype = np.where(u < 0.12, 1, np.where(u < 0.12 + cart_p, 2, np.where(u > 0.96, 3, 0)))
    has_cart = np.maximum.reduceat((etype == 2).astype(np.int8), first) > 0
    buys = has_cart & (rng.random(n_sessions) < np.where(intent, 0.75, 0.05))
    last = np.cumsum(length) - 1
    etype[last[buys]] = 4
    product = np.searchsorted(world.product_cdf, rng.random(total))
    is_search = etype == 1
    has_qty = (etype == 2) | (etype == 4)
    frame = pd.DataFrame({
        "ts_us": ts,
        "user_id": pd.Series(np.char.mod("u%07d", user[sess])),
        "event_type": np.asarray(EVENT_TYPES)[etype],
        "product_id": np.where(is_search, _NULL, np.char.mod("p%05d", product)),
        "category": np.where(is_search, _NULL, np.asarray(CATEGORIES)[world.product_cat[product]]),
        "price": np.where(is_search, np.nan, world.product_price[product]),
        "quantity": np.where(has_qty, rng.integers(1, 4, total), -1),
        "device": np.asarray(DEVICES)[world.user_device[user[sess]]],
        "country": np.asarray(COUNTRIES)[world.user_country[user[sess]]],
        "query": np.where(is_search, np.asarray(CATEGORIES)[product % len(CATEGORIES)], _NULL),
    })
    return frame.sort_values("ts_us", kind="stable").reset_index(drop=True)


def ts_text(ts_us: np.ndarray) -> np.ndarray:
    return np.char.add(np.datetime_as_string(ts_us.astype("datetime64[us]"), unit="us"), "Z")


def clean_lines(frame: pd.DataFrame, ids: np.ndarray) -> list[str]:
    out = pd.DataFrame({"event_id": ids, "ts": ts_text(frame["ts_us"].to_numpy())})
    for col in ("user_id", "event_type", "product_id", "category", "price"):
        out[col] = frame[col]
    out["quantity"] = frame["quantity"].where(frame["quantity"] > 0).astype("Int64")
    for col in ("device", "country", "query"):
        out[col] = frame[col]
    text = out.to_json(orient="records", lines=True, force_ascii=False, double_precision=2)
    return text.rstrip("\n").split("\n")
