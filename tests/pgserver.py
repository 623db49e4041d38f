"""A throw-away PostgreSQL cluster for the test session, started from the Debian server binaries.

One cluster per pytest process (each xdist worker starts its own): a temp directory under /tmp,
a free loopback port, a unix socket inside the temp directory, fsync off, password (scram)
authentication for every connection. PostgreSQL refuses to run as root, and tests run as root in
CI, so the server programs then run as the `postgres` system user through `runuser`.
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

SUPERUSER = "postgres"
TEST_ROLE = "ariane"
TEST_DB = "ariane"
_START_ATTEMPTS = 5  # another process may take the port between our probe and postmaster's bind


class PgUnavailable(Exception):
    """No PostgreSQL server binaries here, or no way to run them."""


def find_bindir() -> Path:
    """The newest installed server version's bin directory (or $ARIANE_PG_BINDIR)."""
    override = os.environ.get("ARIANE_PG_BINDIR")
    if override:
        if not (Path(override) / "initdb").exists():
            raise PgUnavailable(f"ARIANE_PG_BINDIR={override} has no initdb")
        return Path(override)

    def version(path: str) -> int:
        m = re.search(r"/postgresql/(\d+)/", path)
        return int(m.group(1)) if m else 0

    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if not found:
        raise PgUnavailable(
            "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin "
            "(run scripts/setup-system.sh)"
        )
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """Start with `start()`, always `stop()` (also registered with atexit)."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.as_root = os.geteuid() == 0
        self._owner: pwd.struct_passwd | None = None
        if self.as_root:
            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PgUnavailable("running as root but there is no `postgres` user") from exc
        self.superuser_password = secrets.token_hex(16)
        self.password = secrets.token_hex(16)
        self.root = Path(tempfile.mkdtemp(prefix="ariane-pg-", dir="/tmp"))
        self.data = self.root / "data"
        self.sockets = self.root / "sock"
        self.logfile = self.root / "server.log"
        self.port = 0
        self._running = False
        atexit.register(self.stop)

    # -- process control ---------------------------------------------------------------------

    def _run(self, args: Sequence[str], check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        # cwd inside our dir: the postgres user may not be allowed into the caller's cwd.
        proc = subprocess.run(
            cmd, cwd=self.root, capture_output=True, text=True, timeout=120, check=False
        )
        if check and proc.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n"
                f"{self._log_tail()}"
            )
        return proc

    def _log_tail(self) -> str:
        try:
            return "server log:\n" + "\n".join(self.logfile.read_text().splitlines()[-20:])
        except OSError:
            return ""

    def _chown(self, path: Path) -> None:
        if self._owner is not None:
            os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def start(self) -> None:
        try:
            self._initdb()
            self._start_postmaster()
            self._create_test_role()
        except BaseException:
            self.stop()
            raise

    def _initdb(self) -> None:
        os.chmod(self.root, 0o700)
        self._chown(self.root)
        self.sockets.mkdir(mode=0o700)
        self._chown(self.sockets)
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.superuser_password + "\n")
        os.chmod(pwfile, 0o600)
        self._chown(pwfile)
        try:
            self._run(
                [
                    "initdb",
                    "-D",
                    str(self.data),
                    "-U",
                    SUPERUSER,
                    f"--pwfile={pwfile}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            )
        finally:
            pwfile.unlink()
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                "\n# ariane test cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.sockets}'\n"
                "fsync = off\n"
                "synchronous_commit = off\n"
                "full_page_writes = off\n"
                "max_connections = 50\n"
                "password_encryption = 'scram-sha-256'\n"
            )

    def _start_postmaster(self) -> None:
        last = ""
        for _ in range(_START_ATTEMPTS):
            self.port = _free_port()
            proc = self._run(
                [
                    "pg_ctl",
                    "-D",
                    str(self.data),
                    "-l",
                    str(self.logfile),
                    "-o",
                    f"-p {self.port}",
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                check=False,
            )
            if proc.returncode == 0:
                self._running = True
                return
            last = f"{proc.stdout}\n{proc.stderr}\n{self._log_tail()}"
            if "could not bind" not in last and "already in use" not in last:
                break
        raise RuntimeError(f"pg_ctl start failed:\n{last}")

    def _create_test_role(self) -> None:
        with psycopg.connect(self.superuser_url("postgres"), autocommit=True) as con:
            # A non-superuser that may create databases, like a recipient's load account.
            con.execute(
                sql.SQL("CREATE ROLE {} LOGIN CREATEDB PASSWORD {}").format(
                    sql.Identifier(TEST_ROLE), sql.Literal(self.password)
                )
            )
            con.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(TEST_DB), sql.Identifier(TEST_ROLE)
                )
            )

    def stop(self) -> None:
        if self._running:
            self._running = False
            with contextlib.suppress(Exception):
                self._run(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)

    # -- URLs and databases --------------------------------------------------------------------

    def url(self, dbname: str = TEST_DB) -> str:
        return f"postgresql://{TEST_ROLE}:{self.password}@127.0.0.1:{self.port}/{dbname}"

    def superuser_url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}:{self.superuser_password}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self) -> str:
        name = "t_" + secrets.token_hex(6)
        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        # As the superuser: FORCE must also end backends of other roles on that database (an
        # autovacuum worker busy with the tables a test just filled made the drop fail once).
        with psycopg.connect(self.superuser_url(), autocommit=True) as con:
            con.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
