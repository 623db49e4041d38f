"""Ariane: governed laboratory data migration."""

import os

# pyarrow's default allocator (mimalloc in its wheels) keeps freed batches' memory for reuse:
# over a long extraction beside a query engine at its own limit, that added about 80 MB to the
# peak at 2,000,000 patients (benchmarks/README.md). The system allocator gives large blocks
# back when they are freed, no slower there. Arrow reads this once, when it is first imported:
# it takes effect when Ariane is imported first (the `ariane` command), and a value already in
# the environment wins.
os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")

__version__ = "0.1.0"
