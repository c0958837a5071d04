"""Shared helpers of the ML and GPU tests: a synthetic sessions frame and a prebuilt lake.

The notebook tests copy one prebuilt training set into each run's work dir, so the ETL runs
once per test session instead of once per notebook.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

NOTEBOOK_EVENTS = 8000  # the training set the notebook tests use (small, but both classes)


def synthetic_sessions(n: int = 600, users: int = 150, seed: int = 0) -> pd.DataFrame:
    """Rows shaped like the ETL's curated sessions, with a learnable label."""
    from emrlab.etl import events
    from emrlab.ml import mllib as ml

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.poisson(3, n).astype("int64") for c in ml.NUMERIC})
    frame["cart_value"] = rng.gamma(2.0, 20.0, n)
    frame["dwell_s"] = rng.exponential(300.0, n)
    frame["recency_s"] = rng.exponential(5000.0, n)
    frame["device"] = rng.choice(events.DEVICES, n)
    frame["country"] = rng.choice(events.COUNTRIES, n)
    frame["user_id"] = [f"u{u:07d}" for u in rng.integers(0, users, n)]
    frame["session_id"] = [f"{u}-{i}" for i, u in enumerate(frame["user_id"])]
    score = 0.8 * frame["n_carts"] + 0.01 * frame["cart_value"] - 4 + rng.normal(0, 1, n)
    frame["label"] = (score > np.quantile(score, 0.8)).astype("int32")
    return frame
