"""The sealed package (DESIGN §6): write, verify, open, purge."""

from ariane.package.index import PackageIndex
from ariane.package.purge import purge_package
from ariane.package.reader import OpenedPackage, open_package, verify_package
from ariane.package.writer import PackageWriter

__all__ = [
    "OpenedPackage",
    "PackageIndex",
    "PackageWriter",
    "open_package",
    "purge_package",
    "verify_package",
]
