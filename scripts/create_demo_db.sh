#!/usr/bin/env bash
# Create the demo database: a Dutch company (EUR, Dutch chart of accounts), in Dutch, with credit_control,
# its demo data, the Sales app and Inventory. Does nothing when the database already has credit_control installed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
PYTHON=${PYTHON:-python3}
db=${1:-credit_control}
addons=$("$PYTHON" -c "import odoo.addons, os; print(','.join([p for p in odoo.addons.__path__ if os.path.isdir(os.path.join(p, 'base'))] + ['$here/addons']))")
# odoo [subcommand] options...: the subcommand (shell) must come first
odoo() {
    local sub=()
    if [ "${1:-}" = shell ]; then sub=(shell); shift; fi
    (cd /tmp && "$PYTHON" -m odoo "${sub[@]}" -d "$db" --addons-path="$addons" --log-level=warn "$@")
}

"$here/scripts/start_postgres.sh"
if psql -d "$db" -tAc "select 1 from ir_module_module where name='credit_control' and state='installed'" 2>/dev/null | grep -q 1; then
    echo "== Database $db already has credit_control"
    exit 0
fi
dropdb --if-exists "$db"
start=$(date +%s)
# Dutch from the first screen: nl_NL is loaded with base, before any other module, so that every module
# installed afterwards brings its Dutch terms too (Odoo loads the terms of all active languages).
echo "== Creating $db (base with demo data, Dutch loaded)"
odoo -i base --load-language=nl_NL --stop-after-init
echo "== Making the company Dutch (EUR, so that Odoo installs the Dutch chart of accounts), admin in Dutch"
odoo shell --no-http <<'PY'
company = env.ref("base.main_company")
eur = env.ref("base.EUR")
eur.active = True
company.write({"country_id": env.ref("base.nl").id, "currency_id": eur.id})
# the customers' languages: Flemish and French-speaking Belgians (their terms load with the modules)
for code in ("nl_BE", "fr_BE"):
    env["res.lang"]._activate_lang(code)
company.partner_id.lang = "nl_NL"
env.ref("base.user_admin").lang = "nl_NL"
env.cr.commit()
PY
# sale_management: the Sales app (menus, quotation templates), so that the salesperson lands in Sales. The addon
# itself depends on sale only: a company that sells through another app does not need the Sales app.
# stock: Inventory, so that credit_control_stock (installed by itself with it) blocks deliveries to customers
# on credit hold; the demo has one waiting for release.
echo "== Installing credit_control with its demo data, the Sales app and Inventory (a few minutes)"
odoo -i credit_control,sale_management,stock,credit_control_stock --stop-after-init
echo "== Database $db ready ($(( $(date +%s) - start )) s)"
