#!/usr/bin/env bash
# fuzz.sh [SECONDS] [TARGET...]: builds the fuzz preset (clang, libFuzzer with coverage,
# ASan+UBSan; build-fuzz/) and runs each fuzz target for SECONDS (default 600), one at a
# time, on its corpus in tests/fuzz/corpus/<name>/. New inputs go to a scratch directory and
# are merged back with -merge=1, so the kept corpus stays minimal. A crash is saved under
# tests/fuzz/corpus/<name>/ as crash-<sha1> (a regression input for the replay in ctest
# label fuzz) and makes the script exit 1. Prints per target: execs, execs/s, cov, ft, crashes.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ASSAY_ROOT"

SECS=${1:-600}
shift || true
case $SECS in ''|*[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$SECS'" >&2; exit 2;; esac

cmake --preset fuzz >/dev/null || { echo "fuzz.sh: configure failed (is clang installed?)" >&2; exit 1; }
if [ $# -gt 0 ]; then targets=("$@"); else
	targets=()
	for f in tests/fuzz/fuzz_*.c; do n=${f##*/fuzz_}; targets+=("${n%.c}"); done
fi
cmake --build build-fuzz -j2 --target "${targets[@]/#/fuzz_}" >/dev/null || { echo "fuzz.sh: build failed" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rows=()
anycrash=0
for t in "${targets[@]}"; do
	bin=build-fuzz/tests/fuzz/fuzz_$t
	corpus=tests/fuzz/corpus/$t
	[ -x "$bin" ] || { echo "fuzz.sh: no target fuzz_$t" >&2; exit 2; }
	mkdir -p "$corpus" "$work/$t/new" "$work/$t/art"
	echo "=== fuzz_$t: ${SECS}s"
	log=$work/$t/log
	"$bin" -max_total_time="$SECS" -print_final_stats=1 -artifact_prefix="$work/$t/art/" \
		"$work/$t/new" "$corpus" >"$log" 2>&1
	crashes=0
	for a in "$work/$t/art"/*; do
		[ -e "$a" ] || continue
		crashes=$((crashes + 1))
		cp "$a" "$corpus/crash-$(sha1sum "$a" | cut -c1-16)"
		echo "fuzz_$t: CRASH saved as $corpus/crash-$(sha1sum "$a" | cut -c1-16)"
		grep -m1 -A8 'ERROR\|runtime error' "$log" || true
	done
	[ $crashes -gt 0 ] && anycrash=1
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	line=$(grep -E '^#[0-9]+.*(cov|ft):' "$log" | tail -1)
	cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$line")
	ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$line")
	# Minimize: keep only inputs that add coverage, old corpus plus new finds.
	mkdir -p "$work/$t/merged"
	"$bin" -merge=1 "$work/$t/merged" "$corpus" "$work/$t/new" >"$work/$t/merge.log" 2>&1 \
		&& { find "$corpus" -maxdepth 1 -type f ! -name 'crash-*' -delete; cp "$work/$t/merged"/* "$corpus"/ 2>/dev/null; } \
		|| echo "fuzz_$t: merge failed, corpus left as it was (see below)" >&2
	rows+=("$(printf '%-22s %12s %10s %7s %7s %8s %7s' "fuzz_$t" "${execs:-?}" "${rate:-?}" \
		"${cov:-?}" "${ft:-?}" "$crashes" "$(find "$corpus" -type f | wc -l)")")
done

echo
printf '%-22s %12s %10s %7s %7s %8s %7s\n' target execs execs/s cov ft crashes corpus
printf '%s\n' "${rows[@]}"
exit $anycrash
