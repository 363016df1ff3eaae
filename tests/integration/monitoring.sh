#!/usr/bin/env bash
# fixtures:
# monitoring.sh: deploy/monitoring/ for operators: the alert rules pass `promtool check
# rules` and their unit tests (`promtool test rules`), the Grafana dashboard is JSON, and
# every assay_* metric the rules and the dashboard name is one the services export.
set -uo pipefail
SRC=${ASSAY_SOURCE_DIR:?run through ctest}
M=$SRC/deploy/monitoring
fails=0
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
command -v promtool >/dev/null || { echo "FAIL promtool is missing (deploy/install.sh installs prometheus)"; exit 1; }
promtool check rules "$M/assay-alerts.yml" && ok "promtool check rules" || fail "promtool check rules"
(cd "$M" && promtool test rules assay-alerts.test.yml) && ok "promtool test rules" || fail "promtool test rules"
jq -e '.panels | length > 0' "$M/assay-dashboard.json" >/dev/null && ok "dashboard is JSON with panels" || fail "dashboard JSON"
exported=$(grep -rhoE 'assay_(audit|settle)_[a-z_]+' "$SRC/audit" "$SRC/settle" --include=*.c | sed -E 's/_(bucket|sum|count)$//' | sort -u)
for m in $( (grep -hoE 'assay_(audit|settle)_[a-z_]+' "$M/assay-alerts.yml"; jq -r '.panels[].targets[].expr' "$M/assay-dashboard.json" | grep -oE 'assay_(audit|settle)_[a-z_]+') | sed -E 's/_(bucket|sum|count)$//' | sort -u); do
	grep -qx "$m" <<<"$exported" && ok "$m is exported" || fail "$m is named but no service exports it"
done
[ "$fails" = 0 ] && echo "monitoring: all passed" || { echo "monitoring: $fails failure(s)"; exit 1; }
