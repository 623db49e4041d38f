"""Through the LOINC codes (and the catalogue's local codes), the sensitivity classes of the
results in the source, and of the requests that hold them: counts only, over the whole source."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from ariane.discover.introspect import OpenSource
from ariane.errors import SourceError
from ariane.model import categories
from ariane.model.entities import RESULT
from ariane.model.loinc import sensitivity_table
from ariane.profiles.compile import LOCAL_TABLE, LOINC_TABLE, compile_view
from ariane.profiles.expressions import Catalog
from ariane.profiles.schema import Profile


def sensitivity_counts(
    source: OpenSource, profile: Profile, catalog: Catalog
) -> dict[str, dict[str, int]]:
    """class -> {"results": n, "requests_approx": m}, through the draft profile's result mapping."""
    if "result" not in profile.entities:
        return {}
    con = source.con
    loinc = sensitivity_table()
    local = profile.local_codes
    codes = {
        LOINC_TABLE: pa.table({"code": list(loinc), "category": list(loinc.values())}),
        LOCAL_TABLE: pa.table(
            {
                "code": pa.array(list(local), pa.string()),
                "category": pa.array(
                    [categories.sensitive(v) for v in local.values()], pa.string()
                ),
            }
        ),
    }
    try:
        for name, table in codes.items():
            con.register(f"{name}_arrow", table)
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
            con.unregister(f"{name}_arrow")
        view = compile_view(profile, RESULT, catalog)
        rows = con.execute(
            # Requests per class by HyperLogLog: an exact distinct count costs as much again.
            f"SELECT sensitivity, count(*), approx_count_distinct(request_id) FROM ({view}) "
            "GROUP BY sensitivity ORDER BY sensitivity"
        ).fetchall()
    except duckdb.Error:
        raise SourceError("cannot count results by sensitivity class") from None
    return {str(s): {"results": int(n), "requests_approx": int(m)} for s, n, m in rows}
