"""The baseline: an authenticated API read served by gunicorn (2 workers) on loopback.

Starts a throw-away PostgreSQL (SQLite if none is installed), migrates it, loads the demo ICS,
serves it with gunicorn, and drives `GET /api/v1/workers?per_page=20` with a bearer token from
client processes on keep-alive connections. Later benchmarks quote their results as ratios to
this one, measured in the same run.
"""

from __future__ import annotations

import http.client
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PATH = "/api/v1/workers?per_page=20"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def database() -> Iterator[tuple[str, str]]:
    """A fresh database URL and its kind: PostgreSQL on loopback if installed, else SQLite."""
    folder = Path(tempfile.mkdtemp(prefix="staffbank-bench-"))
    folder.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data folder
    if list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        script = REPO / "scripts" / "test-postgres.sh"
        pgdir = folder / "pg"
        url = subprocess.check_output(
            ["bash", str(script), "start", str(pgdir), str(free_port())], text=True
        ).strip()
        try:
            yield url, "PostgreSQL"
        finally:
            subprocess.run(["bash", str(script), "stop", str(pgdir)], check=False)
    else:
        yield f"sqlite:///{folder / 'bench.sqlite'}", "SQLite"


def flask(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [str(BIN / "flask"), *args], env=env, cwd=REPO, text=True, capture_output=True
    )
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


@contextmanager
def gunicorn(env: dict[str, str], port: int, workers: int = 2) -> Iterator[None]:
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        env=env,
        cwd=REPO,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start")
        yield
    finally:
        server.terminate()
        server.wait(timeout=10)


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
        env = {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": url, "SECRET_KEY": "bench"}
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
