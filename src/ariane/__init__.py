"""Ariane: governed laboratory data migration."""

__version__ = "0.1.0"
