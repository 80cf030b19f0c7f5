"""A throwaway PostgreSQL server for the server-mode tests: Debian's postgresql package (installed by
``make postgres``), a cluster in a temporary folder, on a free loopback port, one database per test.

``ASSISTANT_TEST_DATABASE_URL`` points the tests at an existing server instead (its user must be
allowed to create databases)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return found[-1] if found else shutil.which(name)


def available() -> bool:
    return bool(os.environ.get("ASSISTANT_TEST_DATABASE_URL") or _bin("initdb"))


class Cluster:
    """initdb + pg_ctl start in a temporary folder; as root, the server runs as the ``postgres`` user."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="assistant-pg-"))
        self.data = self.dir / "data"
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
        assert initdb and pg_ctl, "PostgreSQL is not installed: run `make postgres`"
        self._pg_ctl = pg_ctl
        self._run(
            [initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale"]
        )
        opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {self.dir} -c fsync=off -c max_connections=200"
        self._run([pg_ctl, "-D", str(self.data), "-o", opts, "-l", str(self.dir / "log"), "-w", "start"])
        self.url = f"postgresql://postgres@127.0.0.1:{port}/postgres"

    def _run(self, cmd: list[str]) -> None:
        subprocess.run([*self._as, *cmd], check=True, capture_output=True, timeout=120)

    def stop(self) -> None:
        try:
            self._run([self._pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def new_database(admin_url: str) -> str:
    """A new empty database on the server; its URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    for attempt in range(20):
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            break
        except psycopg.OperationalError:
            if attempt == 19:
                raise
            time.sleep(0.25)
    return admin_url.rsplit("/", 1)[0] + "/" + name
