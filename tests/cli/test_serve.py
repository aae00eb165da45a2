"""`mab serve` without DATABASE_URL: embedded PostgreSQL, data kept across restarts, and the
embedded server stops with the service."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import psutil


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _request(port, path, body=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, json.loads(response.read())


def _start(data_dir, port):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEST_DATABASE_URL")}
    process = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port),
                                "--workers", "1", "--data-dir", str(data_dir)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            if _request(port, "/readyz")[0] == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError("mab serve did not become ready: " + process.stdout.read())


def _embedded_postgres(data_dir):
    found = []
    for proc in psutil.process_iter(attrs=("name", "cmdline")):
        cmdline = proc.info["cmdline"] or []
        if proc.info["name"] == "postgres" and any(str(data_dir) in part for part in cmdline):
            found.append(proc)
    return found


def _stop(process, sig, data_dir):
    process.send_signal(sig)
    assert process.wait(timeout=60) == 0, process.stdout.read()
    deadline = time.monotonic() + 15
    while _embedded_postgres(data_dir):
        assert time.monotonic() < deadline, "the embedded PostgreSQL outlived mab serve"
        time.sleep(0.2)


def test_serve_keeps_data_and_stops_its_database(tmp_path):
    data_dir = tmp_path / "mab-data"
    port = _free_port()
    process = _start(data_dir, port)
    try:
        assert _embedded_postgres(data_dir), "no embedded PostgreSQL was started"
        status, created = _request(port, "/api/v1/experiments", {"name": "kept", "variants": ["A", "B"]})
        assert status == 201
    finally:
        _stop(process, signal.SIGTERM, data_dir)

    process = _start(data_dir, port)
    try:
        status, listing = _request(port, "/api/v1/experiments")
        assert [e["name"] for e in listing["experiments"]] == ["kept"]
    finally:
        _stop(process, signal.SIGINT, data_dir)
