"""Discover: look into a source never seen before and say what sensitive data it holds.

`scan.scan_source` introspects the schema, draws a bounded sample of every column into memory,
runs content detectors (column names are hints, never proof), and returns a data map whose
evidence is counts only. Nothing sampled is ever written, logged or put in an error message.
"""
