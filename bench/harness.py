"""What the server benchmarks share: a throw-away database, the `flask` command, gunicorn on a
free loopback port, and the app in-process on the same database."""

from __future__ import annotations

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


def flask_env(url: str) -> dict[str, str]:
    """The environment the `flask` command and gunicorn run with, on database `url`."""
    return {**os.environ, "FLASK_APP": "wsgi", "DATABASE_URL": url, "SECRET_KEY": "bench"}


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


@contextmanager
def app_on(url: str):
    """The app in this process on database `url`, inside an app context; the engine's
    connections are closed afterwards (so a server can take the database over)."""
    from app import create_app
    from app.extensions import db
    from config import Config

    config = type(
        "BenchConfig",
        (Config,),
        {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "SCHEDULER_IN_WEB": False},
    )
    app = create_app(config)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (p99 of 1,000 is the 990th)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(fraction * len(sorted_values))))
    return sorted_values[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
