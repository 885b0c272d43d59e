"""The baseline: an authenticated API read served by gunicorn (2 workers) on loopback.

Starts a throw-away PostgreSQL (SQLite if none is installed), migrates it, loads the demo ICS,
serves it with gunicorn, and drives `GET /api/v1/workers?per_page=20` with a bearer token from
client processes on keep-alive connections. Later benchmarks quote their results as ratios to
this one, measured in the same run.
"""

from __future__ import annotations

import http.client
import multiprocessing
import statistics
import time

from bench.harness import database, flask, flask_env, free_port, gunicorn

PATH = "/api/v1/workers?per_page=20"


def _client(port: int, token: str, requests: int, queue: multiprocessing.Queue) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}"}
    latencies, failures = [], 0
    for _ in range(requests):
        start = time.perf_counter()
        conn.request("GET", PATH, headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        failures += response.status != 200
    queue.put((latencies, failures))


def drive(port: int, token: str, clients: int = 8, requests_each: int = 250) -> dict:
    """Send `clients` x `requests_each` reads concurrently; latency and throughput."""
    queue: multiprocessing.Queue = multiprocessing.Queue()
    _client(port, token, 20, queue)  # warm up both workers' caches and connections
    queue.get()
    procs = [
        multiprocessing.Process(target=_client, args=(port, token, requests_each, queue))
        for _ in range(clients)
    ]
    start = time.perf_counter()
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for proc in procs:
        proc.join()
    latencies = sorted(lat for lats, _ in results for lat in lats)
    failures = sum(f for _, f in results)
    return {
        "requests": len(latencies),
        "failures": failures,
        "per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def run_api_read() -> dict:
    """The whole baseline measurement; returns one table row."""
    with database() as (url, kind):
        env = flask_env(url)
        flask(env, "db", "upgrade")
        flask(env, "demo", "load", "--trusts", "5", "--workers", "400")
        token = flask(env, "users", "token", "workforce.r01@demo.nhs.uk").strip().splitlines()[-1]
        port = free_port()
        with gunicorn(env, port):
            result = drive(port, token)
    return {"benchmark": f"API read, gunicorn 2 workers, {kind}", **result}


def main() -> int:
    row = run_api_read()
    print(
        f"{row['benchmark']}: {row['requests']} requests, {row['failures']} failed, "
        f"{row['per_second']:.0f}/s, p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
