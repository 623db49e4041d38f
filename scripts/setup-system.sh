#!/usr/bin/env bash
# Installs the system packages the test suite and the demo need, from Debian's packages:
# a PostgreSQL server (the tests start their own cluster on loopback), the `age` tool
# (interoperability check: a package part must open with the standard tool), the libraries
# WeasyPrint loads to print the procedure report as PDF (Pango, HarfBuzz subsetting, fonts),
# poppler-utils (pdftoppm, pdftotext: the tests look at the PDF as a person would), and
# Chromium with its driver (the web console's browser tests drive the system browser; no
# browser is ever downloaded).
# Idempotent: does nothing when all are present. Needs root or sudo for apt-get.
set -euo pipefail

need=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v age >/dev/null 2>&1 || need+=(age)
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
for pkg in libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
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
