"""Benchmark: the local inference server (emrlab.sagemaker.inference_server) under hostile load.

Serves a small XGBoost model and measures what the guards promise:

* N concurrent ``POST /invocations`` (default 200, all started at once): answered, refused
  (a reset or no answer), wall time, p50/p99 latency; ``GET /ping`` in a loop meanwhile;
* M stalled uploads (default 300: ``Content-Length`` longer than the body): threads while they
  are open, seconds until the server has answered all with 408 and closed them;
* a 10 MB body: the status the client reads after sending it all, and seconds;
* a 6 MiB body of valid rows (the largest SageMaker takes): seconds to parse and predict;
* hostile cells and Content-Length values: the status of each.

    .venv/bin/python bench/inference_bench.py
    .venv/bin/python bench/inference_bench.py --concurrent 500 --stalled 400 --timeout 2

Prints one table; exit status 1 when a guard did not hold (a refused request, a thread per
stalled upload, a 10 MB body not answered with 413, an unhealthy /ping).
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

HEAD = b"POST /invocations HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/csv\r\n"


def _read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _status(answer: bytes) -> str:
    return answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/") else "none"


def _model(folder: str, features: int) -> str:
    import xgboost as xgb

    from emrlab.sagemaker import artifact

    rng = np.random.default_rng(0)
    x = rng.normal(size=(1000, features))
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3},
                        xgb.DMatrix(x, label=(x[:, 0] > 0).astype(int)), 20)
    return str(artifact.package(booster, folder))


def concurrent(server, n: int) -> dict:
    from emrlab.sagemaker.inference_server import request

    body = b"0.1,0.2,0.3\n0.4,0.5,0.6\n"
    start, stop, pings = threading.Barrier(n), threading.Event(), []

    def one(_):
        start.wait()
        t0 = time.perf_counter()
        try:
            status = request(f"{server.url}/invocations", body, timeout=30)[0]
        except OSError:
            status = 0
        return status, time.perf_counter() - t0

    def ping_loop():
        while not stop.is_set():
            t0 = time.perf_counter()
            pings.append((server.ping(), time.perf_counter() - t0))

    pinger = threading.Thread(target=ping_loop)
    pinger.start()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=n) as pool:
        results = list(pool.map(one, range(n)))
    wall = time.perf_counter() - t0
    stop.set()
    pinger.join()
    latencies = sorted(s for _, s in results)
    return {"answered": sum(1 for st, _ in results if st == 200),
            "refused": sum(1 for st, _ in results if st != 200), "wall_s": wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
            "pings": len(pings), "pings_ok": all(st == 200 for st, _ in pings),
            "ping_max_ms": 1000 * max((s for _, s in pings), default=0)}


def stalled(server, m: int) -> dict:
    baseline = threading.active_count()
    socks = []
    t0 = time.perf_counter()
    for _ in range(m):
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        sock.sendall(HEAD + b"Content-Length: 1000\r\n\r\n1,2,3\n")
        socks.append(sock)
    open_threads = threading.active_count() - baseline
    ping = server.ping()
    answers = [_status(_read_all(s)) for s in socks]
    closed_s = time.perf_counter() - t0
    for s in socks:
        s.close()
    return {"extra_threads": open_threads, "ping": ping, "closed_s": closed_s,
            "answers": {a: answers.count(a) for a in sorted(set(answers))}}


def big_body(server, size: int) -> dict:
    body = b"0.1,0.2,0.3\n" * (size // 12)
    t0 = time.perf_counter()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        try:
            sock.sendall(HEAD + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
                         + body)
            answer = _status(_read_all(sock))
        except OSError as exc:
            answer = type(exc).__name__
    return {"bytes": len(body), "status": answer, "s": time.perf_counter() - t0}


def hostile(server) -> dict:
    from emrlab.sagemaker.inference_server import request

    out = {}
    for cell in ("inf", "-inf", "1e39", "0x1p3", "9" * 5_000_000):
        name = cell if len(cell) < 10 else f"{len(cell)}-digit number"
        try:
            out[name] = str(request(f"{server.url}/invocations", f"1,{cell},2".encode())[0])
        except OSError as exc:
            out[name] = type(exc).__name__
    for length in (b"abc", b"-1"):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(HEAD + b"Content-Length: " + length + b"\r\n\r\n1,2,3")
            try:
                out[f"Content-Length: {length.decode()}"] = _status(_read_all(sock))
            except OSError as exc:
                out[f"Content-Length: {length.decode()}"] = type(exc).__name__
    return out


def main(argv: list[str] | None = None) -> int:
    from emrlab.sagemaker.inference_server import MAX_BODY, InferenceServer, request

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--concurrent", type=int, default=200)
    p.add_argument("--stalled", type=int, default=300)
    p.add_argument("--timeout", type=int, default=1, help="the server's timeout, seconds")
    args = p.parse_args(argv)
    ok = True
    with tempfile.TemporaryDirectory() as folder, \
            InferenceServer(_model(folder, 3), timeout=args.timeout) as server:
        c = concurrent(server, args.concurrent)
        print(f"{args.concurrent} concurrent: {c['answered']} answered, {c['refused']} refused, "
              f"{c['wall_s']:.2f} s, p50 {c['p50_ms']:.0f} ms, p99 {c['p99_ms']:.0f} ms; "
              f"/ping {c['pings']}x during, all 200: {c['pings_ok']}, "
              f"max {c['ping_max_ms']:.0f} ms")
        ok &= c["refused"] == 0 and c["pings_ok"]
        s = stalled(server, args.stalled)
        print(f"{args.stalled} stalled uploads: +{s['extra_threads']} threads while open, "
              f"/ping {s['ping']}, all answered and closed after {s['closed_s']:.2f} s "
              f"(timeout {args.timeout} s): {s['answers']}")
        ok &= s["extra_threads"] <= 1 and s["ping"] == 200 and s["answers"] == {
            "408": args.stalled}
        b = big_body(server, 10 * 1024 * 1024)
        print(f"{b['bytes']} byte body: client reads {b['status']} after {b['s']:.2f} s")
        ok &= b["status"] == "413"
        rows = b"0.123456,-1.234567,2.345678\n"
        body = rows * (MAX_BODY // len(rows))
        t0 = time.perf_counter()
        status = request(f"{server.url}/invocations", body, timeout=120)[0]
        print(f"{len(body)} byte body ({len(body) // len(rows)} rows): {status} in "
              f"{time.perf_counter() - t0:.2f} s")
        ok &= status == 200
        h = hostile(server)
        print("hostile: " + ", ".join(f"{k} -> {v}" for k, v in h.items()))
        ok &= all(v.startswith("4") for v in h.values())
        ok &= server.ping() == 200
    print("guards held" if ok else "A GUARD DID NOT HOLD")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
