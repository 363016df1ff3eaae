#!/usr/bin/env bash
# fixtures: pg
# cli.sh: the assay program's command line as a user meets it: help, exit codes, clear
# errors for wrong settings and unreachable databases, migrations through the CLI.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
STATE=${ASSAY_TEST_STATE:?}
fails=0
check() { # check NAME EXPECTED_RC CMD... ; output in $out
	local name=$1 want=$2; shift 2
	out=$("$@" 2>&1); local rc=$?
	if [ "$rc" != "$want" ]; then
		echo "FAIL $name: exit $rc, wanted $want; output: $out"; fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}
contains() { # contains NAME TEXT
	if grep -qF -- "$2" <<<"$out"; then echo "ok   $1"; else echo "FAIL $1: '$2' not in: $out"; fails=$((fails + 1)); fi
}
single_line() {
	if [ "$(wc -l <<<"$out")" -eq 1 ]; then echo "ok   $1"; else echo "FAIL $1: not one line: $out"; fails=$((fails + 1)); fi
}

check "help" 0 "$A" --help;                   contains "help lists db" "db migrate"
check "no args" 2 "$A"
check "unknown command" 2 "$A" frobnicate;    contains "unknown command named" "unknown command 'frobnicate'"
check "unknown flag" 2 "$A" --frob;           contains "unknown top flag" "unknown option '--frob'"
check "unknown subcommand" 2 "$A" db frob;    contains "unknown sub" "unknown subcommand 'frob'"
check "unknown sub flag" 2 "$A" db migrate --frob; contains "unknown sub flag" "unknown option '--frob'"
check "sub help" 0 "$A" db migrate --help;    contains "sub help example" "Example:"
check "settle help" 0 "$A" settle run --help; contains "settle help shows its key" "--signing-key-file"
if grep -qF -- "--api-rate" <<<"$out"; then echo "FAIL settle help lists api settings"; fails=$((fails + 1)); else echo "ok   settle help leaves out api settings"; fi
check "help-all" 0 "$A" settle run --help-all; contains "help-all lists everything" "--api-rate"

# Every command that `assay --help` lists: its --help exits 0 and says how to call it, and an
# unknown option is a usage error (exit 2) that names the option and points at --help.
ncmd=0
while read -r group sub; do
	ncmd=$((ncmd + 1))
	out=$("$A" "$group" "$sub" --help 2>&1); rc=$?
	if [ $rc -ne 0 ] || ! grep -qF -- "Usage: assay $group $sub" <<<"$out"; then
		echo "FAIL $group $sub --help: exit $rc: $out"; fails=$((fails + 1))
	fi
	out=$("$A" "$group" "$sub" --no-such-option 2>&1); rc=$?
	if [ $rc -ne 2 ] || ! grep -qF -- "'--no-such-option'" <<<"$out" ||
		! grep -qF -- "assay $group $sub --help" <<<"$out"; then
		echo "FAIL $group $sub with an unknown option: exit $rc: $out"; fails=$((fails + 1))
	fi
done < <("$A" --help | sed -nE 's/^  ([a-z]+) ([a-z-]+)  .*/\1 \2/p')
if [ "$ncmd" -ge 30 ]; then echo "ok   --help and unknown options of all $ncmd commands"; else
	echo "FAIL only $ncmd commands found in assay --help"; fails=$((fails + 1)); fi
check "missing value" 2 "$A" db migrate --db
check "bad env value" 2 env ASSAY_DB_CONNECT_TIMEOUT=soon "$A" db status
single_line "bad env value one line"; contains "bad env value says" "db-connect-timeout must be a non-negative integer"
check "bad log level" 2 "$A" db status --log-level loud; single_line "bad log level one line"
cfg=$(mktemp)
echo "db-connect-timeout = forever" > "$cfg"
check "bad config value" 2 "$A" db status --config "$cfg"; single_line "bad config one line"
contains "bad config names line" "$cfg:1:"
echo "colour = blue" > "$cfg"
check "unknown config key" 2 "$A" db status --config "$cfg"; contains "unknown key" "unknown setting 'colour'"
check "no db" 1 env -u ASSAY_DB "$A" db status; contains "no db says" "no database configured"
check "unreachable db" 1 "$A" db status --db "host=127.0.0.1 port=1 dbname=x" --db-connect-timeout 2
single_line "unreachable one line"; contains "unreachable says" "cannot connect to PostgreSQL"

# Migrations through the CLI, settings from a config file.
admin=$(cat "$STATE/pg/conninfo")
db="cli_$$"
psql "$admin" -qAtc "CREATE DATABASE $db" >/dev/null
echo "db = ${admin% dbname=*} dbname=$db" > "$cfg"
check "migrate" 0 "$A" db migrate --config "$cfg"; contains "migrated" "migrated schema from version 0"
check "migrate again" 0 "$A" db migrate --config "$cfg"; contains "no-op" "schema is up to date"
check "status" 0 "$A" db status --config "$cfg"
psql "$admin" -qAtc "DROP DATABASE $db" >/dev/null
rm -f "$cfg"

echo "$fails failure(s)"
[ "$fails" -eq 0 ]
