"""Parse SQL target URLs (SQLite path or libpq URL) into locations that never show a password.

A URL typed on a command line may hold a password. It must not reappear in a log line, an error
message or a `repr`: errors about a bad URL therefore say what is wrong without quoting the URL,
and every location renders itself with the password masked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlencode, urlsplit

import psycopg

from ariane.errors import UsageError

MASK = "***"
_SECRET_PARAMS = frozenset({"password", "sslpassword"})
_URL_HINT = (
    "expected sqlite:///absolute/path.db, sqlite:relative/path.db or postgresql://user@host:port/db"
)


@dataclass(frozen=True)
class SqliteLocation:
    path: Path  # absolute

    def describe(self) -> str:
        return "sqlite://" + quote(str(self.path))


@dataclass(frozen=True)
class PostgresLocation:
    # libpq keywords as libpq itself parsed them; repr=False keeps the password out of reprs.
    params: Mapping[str, str] = field(repr=False)

    @property
    def conninfo(self) -> str:
        """A libpq key=value string, password included: hand it to a driver, never print it."""
        return psycopg.conninfo.make_conninfo(**self.params)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(v for k, v in self.params.items() if k in _SECRET_PARAMS and v)

    def describe(self) -> str:
        p = dict(self.params)
        user = p.pop("user", "")
        host = p.pop("host", "")
        port = p.pop("port", "")
        dbname = p.pop("dbname", "")
        userinfo = ""
        if user or "password" in p:
            userinfo = quote(user, safe="") + (":" + MASK if "password" in p else "") + "@"
        p.pop("password", None)
        hosts = [f"[{h}]" if ":" in h else quote(h, safe="") for h in host.split(",")]
        ports = port.split(",") if port else []
        if len(ports) == len(hosts):
            hosts = [f"{h}:{p}" if p else h for h, p in zip(hosts, ports, strict=True)]
        netloc = userinfo + ",".join(hosts)
        query = {k: (MASK if k in _SECRET_PARAMS else v) for k, v in sorted(p.items())}
        text = f"postgresql://{netloc}/{quote(dbname, safe='')}"
        return text + ("?" + urlencode(query, safe="*") if query else "")

    def scrub(self, text: str) -> str:
        """Replace the connection string and any secret in a third party's message."""
        text = text.replace(self.conninfo, self.describe())
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text


Location = SqliteLocation | PostgresLocation


def parse_url(url: str) -> Location:
    scheme, sep, _ = url.partition(":")
    scheme = scheme.lower()
    if not sep:
        raise UsageError(f"not a SQL target URL: {_URL_HINT}")
    if scheme == "sqlite":
        return _parse_sqlite(url)
    if scheme in ("postgresql", "postgres"):
        return _parse_postgres(url)
    raise UsageError(f"unsupported SQL target scheme {scheme!r}: {_URL_HINT}")


def _parse_sqlite(url: str) -> SqliteLocation:
    parts = urlsplit(url)
    if parts.netloc:
        raise UsageError(f"a sqlite URL names a file, not a host: {_URL_HINT}")
    if parts.query or parts.fragment:
        raise UsageError("a sqlite target URL takes no ?query or #fragment")
    raw = unquote(parts.path)
    if not raw or raw == ":memory:":
        raise UsageError(f"a sqlite target URL must name a database file: {_URL_HINT}")
    if raw.startswith("/"):
        raw = "/" + raw.lstrip("/")  # sqlite:////abs (SQLAlchemy style) means /abs too
    path = Path(os.path.abspath(raw))
    if path.is_dir():
        raise UsageError(f"sqlite target {path} is a directory")
    if not path.parent.is_dir():
        raise UsageError(f"directory of the sqlite target does not exist: {path.parent}")
    return SqliteLocation(path)


def _parse_postgres(url: str) -> PostgresLocation:
    parts = urlsplit(url)
    if parts.fragment:
        raise UsageError("a PostgreSQL URL takes no #fragment")
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        # libpq's own message may quote part of the URL, password included: do not relay it.
        raise UsageError(f"not a valid libpq connection URL: {_URL_HINT}") from None
    clean = {k: str(v) for k, v in params.items() if v is not None}
    if "@" in clean.get("host", ""):
        # libpq split the userinfo at the first '@': the rest of the password went into the host.
        raise UsageError("PostgreSQL URL: write '@' in a user name or password as %40")
    for port in filter(None, clean.get("port", "").split(",")):
        if not (port.isdigit() and 1 <= int(port) <= 65535):
            raise UsageError("PostgreSQL URL: the port must be a number from 1 to 65535")
    if not clean.get("dbname"):
        raise UsageError("a PostgreSQL target URL must name the database: postgresql://…/dbname")
    return PostgresLocation(clean)
