#!/usr/bin/env bash
# install.sh: installs what assay needs and is missing, then nothing else.
#   Debian packages with apt-get (as root, or through sudo), npm packages into the project
#   (node_modules/, pinned by package-lock.json). Safe to run again: it is a no-op when
#   everything is there.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PKGS=(build-essential cmake pkg-config git curl ca-certificates procps iproute2
      libsecp256k1-dev libcurl4-openssl-dev libjansson-dev libpq-dev libb2-dev check
      nettle-dev libmicrohttpd-dev libisal-dev postgresql-15 postgresql-client-15
      valgrind nginx wrk jq python3 perl openssl chromium prometheus clang)
missing=()
for p in "${PKGS[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "install: Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm packages: anvil, cast, forge, solc, OpenZeppelin, and for the pages (web/) esbuild,
# @noble/curves, @noble/hashes, uPlot and puppeteer-core (driving Debian's chromium in the
# tests; it downloads no browser), exactly as the lockfile pins them.
stamp="$ASSAY_ROOT/node_modules/.assay-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$ASSAY_ROOT/package-lock.json" "$stamp"; then
	echo "install: npm packages from package-lock.json"
	(cd "$ASSAY_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
	cp "$ASSAY_ROOT/package-lock.json" "$stamp"
fi
for tool in anvil cast forge; do
	foundry_bin "$tool" >/dev/null
done
