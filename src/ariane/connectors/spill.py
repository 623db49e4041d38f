"""Encrypted spill: the query engine may use the disk, but only for ciphertext.

When the scope of a large laboratory does not fit in the configured memory, DuckDB writes the
overflow (scope tables, join hash tables) to temporary files. In clear, such files would be
exactly the copy the incident left behind. Here they are encrypted (AES-GCM, DuckDB's database
encryption with `temp_file_encryption`) under a random key that exists only in this process:
once the process ends, normally or by `kill -9`, what is left on disk cannot be read by anyone.

Each connection gets its own private directory, `<root>/spill/<pid>-<random>/`, removed on
close; directories left by a process that no longer runs are removed by the next one.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path

import duckdb

from ariane.crypto.files import make_private_dir
from ariane.errors import SourceError

SPILL_DIR = "spill"
_WORK_DB = "work.duckdb"  # the encrypted database whose key encrypts the temporary files
_WORK_ALIAS = "ariane_spill_key"


class SpillArea:
    """A private directory where one DuckDB connection spills, encrypted."""

    def __init__(self, root: Path) -> None:
        base = root / SPILL_DIR
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        clear_stale(base)
        self.path = base / f"{os.getpid()}-{secrets.token_hex(8)}"
        make_private_dir(self.path)

    def attach(self, con: duckdb.DuckDBPyConnection, crypto_extension: str) -> None:
        """Turn on encrypted spilling for `con`; nothing has spilled before this returns."""
        key = secrets.token_hex(32)
        try:
            # httpfs carries OpenSSL; without it DuckDB refuses to write encrypted files.
            con.execute(f"LOAD '{crypto_extension}'")
            db = (self.path / _WORK_DB).as_posix().replace("'", "''")
            con.execute(f"ATTACH '{db}' AS {_WORK_ALIAS} (ENCRYPTION_KEY '{key}')")
            con.execute("SET temp_file_encryption = true")
            tmp = (self.path / "tmp").as_posix().replace("'", "''")
            con.execute(f"SET temp_directory = '{tmp}'")
        except duckdb.Error as e:
            raise SourceError(
                f"the encrypted spill area could not be set up ({type(e).__name__})"
            ) from None
        row = con.execute("SELECT current_setting('temp_file_encryption')").fetchone()
        if not row or row[0] is not True:
            raise SourceError("the query engine did not enable encrypted spilling")

    def close(self) -> None:
        # Ciphertext under a key that died with the connection: removing it is enough.
        shutil.rmtree(self.path, ignore_errors=True)


def clear_stale(base: Path) -> list[str]:
    """Remove the spill directories of processes that no longer run; return their names."""
    removed = []
    for path in sorted(base.iterdir()):
        pid_text = path.name.partition("-")[0]
        if not pid_text.isdigit() or _alive(int(pid_text)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path.name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: not ours to judge
    return True
