"""Benchmark notebook 04's training workload on CPU and GPU at growing sizes.

Usage::

    python bench/gpu_bench.py                      # default sizes, both workloads
    python bench/gpu_bench.py --sizes 10000,100000,1000000 --epochs 3 --rounds 50

Runs the pure training functions of ``emrlab.ml.nettrain`` (the PyTorch network of notebook 04,
and plain XGBoost where xgboost is installed) without Spark, on synthetic data shaped like the
session features, and prints one row per workload and size: seconds on CPU, seconds on the GPU
(when ``emrlab.ml.gpu`` sees one and the library's build can use it) and the speedup. A workload
whose library is absent is skipped with a message; XGBoost on the GPU needs a CUDA build of
xgboost (``pip install -e '.[gpu]'``), not ``xgboost-cpu``.

It needs only NumPy plus the libraries it times: when the ``emrlab`` package cannot be imported
whole (a GPU machine with PyTorch but without boto3 or pyspark), the three modules it uses
(``exceptions``, ``gpu``, ``nettrain``) are loaded on their own.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import types
from pathlib import Path


def _modules():
    """``(gpu, nettrain)`` from the installed package, or straight from the source folder."""
    try:
        from emrlab.ml import gpu, nettrain
    except ImportError:
        # Bare packages whose __init__ is not run: only the three modules (and NumPy) load.
        folder = Path(__file__).resolve().parents[1] / "helpers" / "emrlab"
        for name, path in (("emrlab", folder), ("emrlab.ml", folder / "ml")):
            package = types.ModuleType(name)
            package.__path__ = [str(path)]
            sys.modules[name] = package
        gpu = importlib.import_module("emrlab.ml.gpu")
        nettrain = importlib.import_module("emrlab.ml.nettrain")
    return gpu, nettrain


def _time(fn, repeat: int) -> float:
    """The best of ``repeat`` runs (seconds reported by the training function)."""
    return min(fn()[1]["seconds"] for _ in range(repeat))


def run(sizes, epochs: int, rounds: int, features: int, repeat: int, workloads) -> list[dict]:
    """Time every workload at every size; returns the table rows."""
    gpu, nettrain = _modules()
    found = gpu.info(deep=True)
    print(found.summary())
    print_header()
    has_gpu = found.available
    rows = []
    for workload in workloads:
        if workload == "torch" and not nettrain.torch_available():
            print(f"skip torch: not installed ({nettrain.TORCH_HINT})")
            continue
        if workload == "xgboost" and not nettrain.xgboost_available():
            print(f"skip xgboost: not installed ({nettrain.XGBOOST_HINT})")
            continue
        gpu_ok = has_gpu and (workload == "torch" or nettrain.xgboost_has_cuda())
        if has_gpu and not gpu_ok:
            print("xgboost is a CPU build: GPU column left empty (pip install -e '.[gpu]')")
        for n in sizes:
            X, y = nettrain.synthetic(n, features, seed=0)
            if workload == "torch":
                def job(dev, X=X, y=y):
                    return nettrain.train_torch(X, y, dev, epochs=epochs, batch_size=1024)
            else:
                def job(dev, X=X, y=y):
                    return nettrain.train_xgboost(X, y, dev, rounds=rounds)
            cpu_s = _time(lambda job=job: job("cpu"), repeat)
            gpu_s = None
            if gpu_ok:
                job("cuda")  # warm-up: CUDA context, kernels
                gpu_s = _time(lambda job=job: job("cuda"), repeat)
            rows.append({"workload": workload, "rows": n, "cpu_s": cpu_s, "gpu_s": gpu_s,
                         "speedup": cpu_s / gpu_s if gpu_s else None})
            print_row(rows[-1])
            sys.stdout.flush()
    return rows


def print_header() -> None:
    print(f"{'workload':9} {'rows':>10} {'cpu_s':>9} {'gpu_s':>9} {'speedup':>8}")


def print_row(row: dict) -> None:
    gpu_s = f"{row['gpu_s']:9.3f}" if row["gpu_s"] is not None else f"{'n/a':>9}"
    speed = f"{row['speedup']:7.1f}x" if row["speedup"] is not None else f"{'n/a':>8}"
    print(f"{row['workload']:9} {row['rows']:>10,} {row['cpu_s']:9.3f} {gpu_s} {speed}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000,200000",
                        help="comma-separated row counts (default 2000,20000,200000)")
    parser.add_argument("--epochs", type=int, default=3, help="PyTorch epochs (default 3)")
    parser.add_argument("--rounds", type=int, default=50, help="XGBoost rounds (default 50)")
    parser.add_argument("--features", type=int, default=28,
                        help="features per row (default 28, as the booster has)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell, best kept")
    parser.add_argument("--workloads", default="torch,xgboost",
                        help="comma-separated: torch, xgboost")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in workloads if w not in ("torch", "xgboost")]
    if bad or not sizes or min(sizes) < 2:
        parser.error(f"workloads must be torch/xgboost (got {bad}); sizes must be >= 2")
    run(sizes, args.epochs, args.rounds, args.features, args.repeat, workloads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
