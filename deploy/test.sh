#!/usr/bin/env bash
# test.sh: installs what is missing, builds, and runs every test, printing how long each
# stage took. The README's test command; .ci/run calls it.
#   stages: install, build (warnings are errors), unit, integration, fuzz, contracts (forge),
#   then the same C suites again in an ASan+UBSan build (all but the tests labelled slow,
#   which are long chain scenarios whose C paths the other suites cover).
# Environment: ASSAY_TEST_SKIP_ASAN=1 skips the sanitizer build (for quick local runs).
set -uo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ASSAY_ROOT"

JOBS=$(nproc 2>/dev/null || echo 2)
declare -a names=() secs=() results=()
failed=0
total_pass=0
total_fail=0
retried=()

stage() {
	local name=$1; shift
	local t0=$SECONDS
	echo
	echo "=== stage: $name"
	"$@"
	local rc=$?
	names+=("$name"); secs+=($((SECONDS - t0)))
	if [ $rc -eq 0 ]; then results+=(ok); else results+=("FAILED ($rc)"); failed=1; fi
	return $rc
}

# ctest, counting its results into the totals printed at the end.
run_ctest() {
	local dir=$1; shift
	local log
	log=$(mktemp)
	# A test that fails is run once more before it counts: the integration tests start
	# real servers on two shared cores, and a few of their timing checks (canary answers,
	# servers coming up) have failed under load. Both runs' output stays in the log.
	ctest --test-dir "$dir" --output-on-failure -j "$JOBS" --repeat until-pass:2 "$@" 2>&1 |
		tee "$log"
	local rc=${PIPESTATUS[0]}
	local line
	line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		local nfail nall
		nfail=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")
		nall=$(sed -E 's/.*tests passed, ([0-9]+) tests failed out of ([0-9]+).*/\2/' <<<"$line")
		total_pass=$((total_pass + nall - nfail))
		total_fail=$((total_fail + nfail))
		# Tests that failed once and passed when run again: named, so a retry never hides.
		local t
		for t in $(sed -nE 's/^.*Test +#[0-9]+: ([A-Za-z0-9_]+) \.+\*+Failed.*$/\1/p' "$log" | sort -u); do
			if grep -qE "Test +#[0-9]+: $t \.+ +Passed" "$log"; then
				retried+=("$dir/$t")
			fi
		done
	elif [ $rc -ne 0 ]; then
		total_fail=$((total_fail + 1))
	fi
	rm -f "$log"
	return $rc
}

build() {
	local dir=$1; shift
	cmake -S . -B "$dir" -DASSAY_WERROR=ON "$@" >/dev/null && cmake --build "$dir" -j "$JOBS"
}

forge_tests() {
	[ -x chain/contracts/test.sh ] || { echo "no contracts yet"; return 0; }
	local log
	log=$(mktemp)
	chain/contracts/test.sh 2>&1 | tee "$log"
	local rc=${PIPESTATUS[0]}
	# forge: "Ran N test suites ...: P tests passed, F failed, S skipped (T total tests)"
	local line
	line=$(grep -E '[0-9]+ tests passed, [0-9]+ failed' "$log" | tail -n 1)
	if [ -n "$line" ]; then
		total_pass=$((total_pass + $(sed -E 's/.* ([0-9]+) tests passed.*/\1/' <<<"$line")))
		total_fail=$((total_fail + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
	elif [ $rc -ne 0 ]; then
		total_fail=$((total_fail + 1))
	fi
	rm -f "$log"
	return $rc
}

stage install deploy/install.sh || { echo "install failed"; exit 1; }
if stage build build build; then
	stage unit run_ctest build -L unit
	stage integration run_ctest build -L integration
	stage fuzz run_ctest build -L fuzz
fi
stage contracts forge_tests
if [ "${ASSAY_TEST_SKIP_ASAN:-0}" != 1 ]; then
	# Leaks fail the run too (LeakSanitizer), like any memory error.
	export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
	if stage asan-build build build-asan -DASSAY_SANITIZE=ON -DASSAY_FUZZ_RUNS=3000 \
		-DASSAY_BUILD_BENCH=OFF \
		-DASSAY_CONTRACTS_FROM="$ASSAY_ROOT/build/contracts"; then
		stage asan-tests run_ctest build-asan -L 'unit|integration|fuzz' -LE slow
	fi
fi

echo
echo "=== stage timings"
for i in "${!names[@]}"; do
	printf '  %-14s %5ss  %s\n' "${names[$i]}" "${secs[$i]}" "${results[$i]}"
done
echo
if [ ${#retried[@]} -gt 0 ]; then
	echo "passed only when run a second time (${#retried[@]}): ${retried[*]}"
fi
echo "$total_pass passed, $total_fail failed"
exit $failed
