"""Content detectors: each looks at one column's sampled values and returns a Finding or None.

A detector never returns or keeps a value: its evidence is counts (values checked, values matched,
sub-kinds seen). Detectors are pure functions of a `ColumnSample`, so that tests can feed them
positives and near-misses directly.
"""
