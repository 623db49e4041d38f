#!/usr/bin/env bash
# Installs the system packages the test suite and the demo need, from Debian's packages:
# a PostgreSQL server (the tests start their own cluster on loopback) and the `age` tool
# (interoperability check: a package part must open with the standard tool).
# Idempotent: does nothing when both are present. Needs root or sudo for apt-get.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v age >/dev/null 2>&1 || need+=(age)
[ ${#need[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "setup-system: need root to install ${need[*]} (apt-get)" >&2; exit 1
  fi
fi
echo "setup-system: installing ${need[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
