"""Pure training functions (NumPy, PyTorch, plain XGBoost): no Spark needed.

Taught in notebooks/04_gpu_training.ipynb; timed by ``bench/gpu_bench.py``.

The same functions run inside Spark (the body of a ``TorchDistributor`` run, see
:mod:`emrlab.ml.torchdist`) and without it (the benchmark on a GPU machine that has PyTorch but
neither pyspark nor xgboost). So this module imports neither pyspark nor, at import time, torch
or xgboost; each function imports what it needs and :func:`require_torch` /
:func:`require_xgboost` turn a missing package into a clear error with the install hint.

The network (:func:`build_mlp`) is a small multilayer perceptron for the session features:
``n_features -> hidden -> hidden/2 -> 1`` with ReLU and a logit output, trained with
``BCEWithLogitsLoss`` (``pos_weight`` balances the rare purchase label) and Adam.
"""

from __future__ import annotations

import importlib.util
import time
from types import ModuleType

import numpy as np

from emrlab.exceptions import DeviceError, ModelError

TORCH_HINT = "pip install -e '.[torch]'"
XGBOOST_HINT = "pip install xgboost-cpu (CPU) or pip install -e '.[gpu]' (CUDA build)"


def torch_available() -> bool:
    """True when PyTorch can be imported (the ``torch`` extra).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    return importlib.util.find_spec("torch") is not None


def xgboost_available() -> bool:
    """True when xgboost can be imported.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    return importlib.util.find_spec("xgboost") is not None


def xgboost_has_cuda() -> bool:
    """True when the installed xgboost is a CUDA build (the ``gpu`` extra, not ``xgboost-cpu``).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    if not xgboost_available():
        return False
    import xgboost

    return bool(xgboost.build_info().get("USE_CUDA", False))


def require_torch() -> ModuleType:
    """Import and return torch, or raise ModuleNotFoundError with the install hint.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    if not torch_available():
        raise ModuleNotFoundError(f"PyTorch is not installed; install it with: {TORCH_HINT}")
    import torch

    return torch


def require_xgboost() -> ModuleType:
    """Import and return xgboost, or raise ModuleNotFoundError with the install hint.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    if not xgboost_available():
        raise ModuleNotFoundError(f"xgboost is not installed; install it with: {XGBOOST_HINT}")
    import xgboost

    return xgboost


def synthetic(n_rows: int, n_features: int = 16, seed: int = 0, positive_rate: float = 0.15):
    """A synthetic imbalanced binary problem shaped like the session features.

    Taught in notebooks/04_gpu_training.ipynb (benchmark sizes beyond the curated set).

    Returns
    -------
    X : ndarray of float32, shape (n_rows, n_features)
    y : ndarray of float32, shape (n_rows,)
    """
    if n_rows < 2 or n_features < 1:
        raise ModelError(f"n_rows={n_rows} must be >= 2 and n_features={n_features} >= 1")
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, n_features)).astype(np.float32)
    w = rng.standard_normal(n_features) / np.sqrt(n_features)
    score = X @ w + 0.5 * np.tanh(X[:, 0] * X[:, -1])
    threshold = np.quantile(score, 1 - positive_rate)
    y = (score + 0.3 * rng.standard_normal(n_rows) > threshold).astype(np.float32)
    return X, y


def check_labels(y) -> None:
    """Raise ModelError unless ``y`` holds both classes 0 and 1 (and nothing else).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    values = set(np.unique(np.asarray(y)).tolist())
    if not values <= {0, 1}:
        raise ModelError(f"labels must be 0 or 1; found {sorted(values)[:5]}")
    if len(values) < 2:
        raise ModelError(f"the label has a single class ({sorted(values)}); a classifier needs "
                         "both 0 and 1 in the training rows")


def torch_device(device: str):
    """The ``torch.device`` for ``"cpu"``/``"cuda"``; DeviceError when CUDA is not usable.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    torch = require_torch()
    if device not in ("cpu", "cuda"):
        raise DeviceError(f"device={device!r} is not allowed here; use 'cpu' or 'cuda' "
                          "(resolve 'auto' first with emrlab.ml.gpu.resolve_device)")
    if device == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device='cuda' but this torch ({torch.__version__}) sees no CUDA "
                          "device (a CPU wheel, or no GPU); use device='cpu'")
    return torch.device(device)


def build_mlp(n_features: int, hidden: int = 32):
    """The small network trained in notebook 04 (a ``torch.nn.Sequential``).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    torch = require_torch()
    nn = torch.nn
    return nn.Sequential(nn.Linear(n_features, hidden), nn.ReLU(),
                         nn.Linear(hidden, max(2, hidden // 2)), nn.ReLU(),
                         nn.Linear(max(2, hidden // 2), 1))


def _pos_weight(y: np.ndarray) -> float:
    pos = float(y.sum())
    return (len(y) - pos) / pos if pos else 1.0


def train_torch(X, y, device: str = "cpu", epochs: int = 5, batch_size: int = 256,
                lr: float = 1e-2, hidden: int = 32, seed: int = 0):
    """Train :func:`build_mlp` on one device; returns ``(model, stats)``.

    Taught in notebooks/04_gpu_training.ipynb; timed by ``bench/gpu_bench.py``.

    ``stats`` holds ``seconds`` (training only, device synchronised), ``final_loss``,
    ``rows`` and ``device``. ``X`` should be standardised (the model has no scaling layer).
    """
    torch = require_torch()
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.float32)
    check_labels(y)
    dev = torch_device(device)
    torch.manual_seed(seed)
    model = build_mlp(X.shape[1], hidden).to(dev)
    Xt, yt = torch.from_numpy(X).to(dev), torch.from_numpy(y).to(dev)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(_pos_weight(y), device=dev))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    started, loss = time.perf_counter(), None
    for _ in range(epochs):
        order = torch.randperm(len(Xt), generator=gen).to(dev)
        for start in range(0, len(Xt), batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(Xt[idx]).squeeze(1), yt[idx])
            loss.backward()
            opt.step()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - started
    assert loss is not None, "no batch was trained (epochs < 1 or no rows)"
    return model, {"seconds": seconds, "final_loss": float(loss.item()), "rows": len(X),
                   "device": dev.type}


def predict_torch(model, X) -> np.ndarray:
    """Positive-class probabilities of a trained network for ``X`` (a NumPy array).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    torch = require_torch()
    dev = next(model.parameters()).device
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(np.asarray(X, dtype=np.float32)).to(dev)).squeeze(1)
    return torch.sigmoid(logits).cpu().numpy()


def ddp_train(X, y, epochs: int = 5, batch_size: int = 256, lr: float = 1e-2, hidden: int = 32,
              use_gpu: bool = False, seed: int = 0):
    """The body of a distributed run: one process of a ``torchrun``/``TorchDistributor`` job.

    Taught in notebooks/04_gpu_training.ipynb. Every process takes its shard of the rows
    (``rank::world_size``), wraps :func:`build_mlp` in ``DistributedDataParallel`` (backend
    ``nccl`` on GPUs, ``gloo`` on CPUs) so gradients are averaged across processes, and every
    rank returns the same ``{"state": state_dict, "seconds", "world_size", "backend",
    "final_loss"}`` (TorchDistributor keeps the last process's return value). The launcher sets ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
    ``MASTER_ADDR`` and ``MASTER_PORT``.
    """
    import os

    torch = require_torch()
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    backend = "nccl" if use_gpu else "gloo"
    dist.init_process_group(backend)
    try:
        rank, world = dist.get_rank(), dist.get_world_size()
        if use_gpu:
            local = int(os.environ.get("LOCAL_RANK", 0))
            torch.cuda.set_device(local)
            dev = torch.device("cuda", local)
        else:
            dev = torch.device("cpu")
        X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.float32)
        Xs, ys = torch.from_numpy(X[rank::world]).to(dev), torch.from_numpy(y[rank::world]).to(dev)
        torch.manual_seed(seed)  # same initial weights on every rank
        model = DistributedDataParallel(build_mlp(X.shape[1], hidden).to(dev),
                                        device_ids=[dev.index] if use_gpu else None)
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(_pos_weight(y), device=dev))
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        gen = torch.Generator().manual_seed(seed + rank)
        # every rank must run the same number of steps, or the all-reduce waits forever
        steps = -(-(len(X) // world) // batch_size)
        started, loss = time.perf_counter(), torch.tensor(0.0)
        for _ in range(epochs):
            order = torch.randperm(len(Xs), generator=gen).to(dev)
            for step in range(steps):
                idx = order[(step * batch_size) % len(Xs):][:batch_size]
                opt.zero_grad()
                loss = loss_fn(model(Xs[idx]).squeeze(1), ys[idx])
                loss.backward()
                opt.step()
        # TorchDistributor keeps whatever the *last* process to finish returns, so every rank
        # returns the same thing: the weights (identical under DDP), the slowest rank's time and
        # the mean of the last batch losses.
        summary = torch.tensor([time.perf_counter() - started, float(loss.item())], device=dev)
        slowest = summary[:1].clone()
        dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
        dist.all_reduce(summary, op=dist.ReduceOp.SUM)
        state = {k: v.detach().cpu() for k, v in model.module.state_dict().items()}
        return {"state": state, "seconds": float(slowest.item()), "world_size": world,
                "backend": backend, "final_loss": float(summary[1].item()) / world}
    finally:
        dist.destroy_process_group()


def load_mlp(state: dict, n_features: int, hidden: int = 32):
    """Rebuild :func:`build_mlp` from a ``state_dict`` (what :func:`ddp_train` returns).

    Taught in notebooks/04_gpu_training.ipynb.
    """
    model = build_mlp(n_features, hidden)
    model.load_state_dict(state)
    return model


def xgb_params(device: str = "cpu", max_depth: int = 4, eta: float = 0.3,
               scale_pos_weight: float = 1.0, seed: int = 0) -> dict:
    """The XGBoost parameters notebook 04 uses, for plain xgboost and SparkXGBClassifier alike.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    if device not in ("cpu", "cuda"):
        raise DeviceError(f"device={device!r} is not allowed here; use 'cpu' or 'cuda'")
    return {"objective": "binary:logistic", "eval_metric": "auc", "tree_method": "hist",
            "device": device, "max_depth": max_depth, "eta": eta,
            "scale_pos_weight": scale_pos_weight, "seed": seed}


def train_xgboost(X, y, device: str = "cpu", rounds: int = 50, max_depth: int = 4,
                  seed: int = 0):
    """Train plain XGBoost (no Spark) on one device; returns ``(booster, stats)``.

    Taught in notebooks/04_gpu_training.ipynb; timed by ``bench/gpu_bench.py``.

    Raises
    ------
    DeviceError
        ``device='cuda'`` with a CPU-only xgboost build (``xgboost-cpu``).
    """
    xgb = require_xgboost()
    y = np.asarray(y, dtype=np.float32)
    check_labels(y)
    if device == "cuda" and not xgboost_has_cuda():
        raise DeviceError(f"device='cuda' but xgboost {xgb.__version__} is a CPU build; "
                          "install the CUDA build: pip install -e '.[gpu]'")
    params = xgb_params(device, max_depth, scale_pos_weight=_pos_weight(y), seed=seed)
    dtrain = xgb.DMatrix(np.asarray(X, dtype=np.float32), label=y)
    started = time.perf_counter()
    booster = xgb.train(params, dtrain, num_boost_round=rounds)
    booster.predict(xgb.DMatrix(np.asarray(X[:1], dtype=np.float32)))  # wait for the device
    return booster, {"seconds": time.perf_counter() - started, "rows": len(y), "device": device}


def auc(y_true, score) -> float:
    """ROC AUC from ranks (ties averaged), with NumPy only.

    Taught in notebooks/04_gpu_training.ipynb.
    """
    y_true, score = np.asarray(y_true), np.asarray(score, dtype=float)
    order = np.argsort(score, kind="mergesort")
    ranks = np.empty(len(score))
    sorted_scores = score[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    pos = y_true == 1
    n1, n0 = pos.sum(), (~pos).sum()
    if n1 == 0 or n0 == 0:
        raise ModelError("AUC needs both classes in y_true")
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))
