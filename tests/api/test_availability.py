"""Health endpoints, and what requests see while PostgreSQL is unreachable."""

from __future__ import annotations

import socket
import threading
import time

from psycopg.conninfo import conninfo_to_dict, make_conninfo

from service import create_app

from .support import assert_problem


def test_healthz_and_readyz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ready"}


def test_readyz_reports_pending_migrations(client, db):
    db.execute("DELETE FROM mab.schema_migrations")
    body = assert_problem(client.get("/readyz"), 503)
    assert "mab migrate" in body["detail"]


class _Proxy:
    """A TCP relay to PostgreSQL that the test can cut and restore, like a database going away."""

    def __init__(self, host: str, port: int):
        # A host starting with / is the directory of PostgreSQL's Unix socket.
        self.target = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else (host, port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.up = True
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.up:
                client.close()
                continue
            if isinstance(self.target, str):
                server = socket.socket(socket.AF_UNIX)
                server.connect(self.target)
            else:
                server = socket.create_connection(self.target)
            self.connections += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source, sink):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        self.up = False
        for sock in self.connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self.connections.clear()

    def restore(self):
        self.up = True

    def close(self):
        self.cut()
        self.listener.close()


def test_database_outage_gives_503_then_recovers(db_url):
    params = conninfo_to_dict(db_url)
    proxy = _Proxy(params.get("host") or "127.0.0.1", int(params.get("port") or 5432))
    app = create_app({"DATABASE_URL": make_conninfo(db_url, host="127.0.0.1", port=str(proxy.port)),
                      "MAB_POOL_TIMEOUT": 2, "MAB_LOG_LEVEL": "CRITICAL"})
    client = app.test_client()
    try:
        assert client.get("/api/v1/experiments").status_code == 200
        proxy.cut()
        started = time.monotonic()
        for path in ("/api/v1/experiments", "/readyz"):
            body = assert_problem(client.get(path), 503)
            assert body["title"] in ("Database unavailable", "Not ready")
        assert time.monotonic() - started < 10  # no hang
        assert client.get("/healthz").status_code == 200  # the process itself is fine
        proxy.restore()
        deadline = time.monotonic() + 15
        while client.get("/api/v1/experiments").status_code != 200:
            assert time.monotonic() < deadline, "the service did not recover"
            time.sleep(0.2)
        assert client.get("/readyz").status_code == 200
    finally:
        app.extensions["mab_db"].close()
        proxy.close()
