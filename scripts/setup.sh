#!/usr/bin/env bash
# Set up everything credit_control needs on a Debian/Ubuntu machine: PostgreSQL, wkhtmltopdf,
# Chromium (browser tours), Odoo 18.0 Community and the Python dependencies.
# Idempotent: what is already there is left alone.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"

need_apt=()
command -v pg_ctlcluster >/dev/null 2>&1 || need_apt+=(postgresql)
command -v wkhtmltopdf >/dev/null 2>&1 || need_apt+=(wkhtmltopdf)
command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || need_apt+=(chromium)
if ! "$PYTHON" -c "import odoo" >/dev/null 2>&1; then
    # headers to build psycopg2 and python-ldap from Odoo's pinned requirements
    need_apt+=(libpq-dev libldap2-dev libsasl2-dev build-essential python3-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
    echo "== Installing system packages: ${need_apt[*]}"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

"$here/scripts/start_postgres.sh"

if ! "$PYTHON" -c "import odoo" >/dev/null 2>&1; then
    src="$here/.odoo/src"
    if [ ! -f "$src/setup.py" ]; then
        echo "== Downloading Odoo 18.0 Community (official source archive)"
        mkdir -p "$src"
        curl -fsSL https://nightly.odoo.com/18.0/nightly/src/odoo_18.0.latest.tar.gz \
            | tar -xz -C "$src" --strip-components=1
    fi
    echo "== Installing Odoo's Python requirements"
    # Odoo's pins for Python < 3.12 do not build with current setuptools; its 3.12 pins
    # install fine on 3.10 and 3.11, so evaluate the markers as if on 3.12.
    "$PYTHON" -m pip install -q packaging
    "$PYTHON" - "$src/requirements.txt" "$here/.odoo/requirements.txt" <<'PY'
import sys
from packaging.requirements import Requirement
env = {"python_version": "3.12", "python_full_version": "3.12.0", "sys_platform": sys.platform,
       "platform_system": "Linux"}
out = []
for line in open(sys.argv[1]):
    line = line.split("#")[0].strip()
    if not line:
        continue
    req = Requirement(line)
    if req.marker and not req.marker.evaluate(env):
        continue
    req.marker = None
    out.append(str(req))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
    "$PYTHON" -m pip install -q -r "$here/.odoo/requirements.txt"
    "$PYTHON" -m pip install -q --no-deps -e "$src"
fi

echo "== Installing the addon's Python requirements and the test and lint tools"
"$PYTHON" -m pip install -q -r "$here/requirements.txt" -r "$here/requirements-dev.txt"
"$PYTHON" -c "import odoo.release as r; print('Odoo', r.version, 'ready')"
