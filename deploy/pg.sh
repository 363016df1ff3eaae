#!/usr/bin/env bash
# pg.sh: a private PostgreSQL cluster for tests and the local network.
#   pg.sh start STATE_DIR   initdb into a fresh directory, start on a free 127.0.0.1 port
#                           with a private unix socket; writes STATE_DIR/conninfo (the
#                           "postgres" database), STATE_DIR/url (the "assay" database)
#   pg.sh restart STATE_DIR stop it (fast: clients are disconnected) and start it again on
#                           the same port (deploy/network.sh --chaos)
#   pg.sh stop STATE_DIR    stop it by its PID and remove its files
# As root, the cluster runs as the postgres user (initdb refuses root); its files live in
# a directory of their own under /tmp that postgres can reach.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:-}; state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || die "usage: pg.sh start|restart|stop STATE_DIR"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$PGBIN/initdb" ] || die "PostgreSQL server binaries not found: run deploy/install.sh"

as_pg() {
	if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
start)
	mkdir -p "$state"
	if [ -f "$state/pgroot" ] && [ -f "$(cat "$state/pgroot")/data/postmaster.pid" ]; then
		die "a cluster is already running for $state (pg.sh stop $state first)"
	fi
	root=$(mktemp -d /tmp/assay-pg.XXXXXX)
	chmod 700 "$root"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$root"
	echo "$root" > "$state/pgroot"
	as_pg "$PGBIN/initdb" -D "$root/data" -A trust -U postgres --no-sync -E UTF8 \
		>"$root/initdb.log" 2>&1 || { cat "$root/initdb.log" >&2; die "initdb failed"; }
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		if as_pg "$PGBIN/pg_ctl" -D "$root/data" -l "$root/server.log" -w -t 60 start \
			-o "-p $port -k $root -c listen_addresses=127.0.0.1 -c max_connections=200" \
			>/dev/null 2>&1; then
			break
		fi
		[ "$attempt" -eq 5 ] && { tail -n 20 "$root/server.log" >&2; die "PostgreSQL did not start"; }
	done
	as_pg "$PGBIN/psql" -h "$root" -p "$port" -U postgres -d postgres -qAtc "CREATE DATABASE assay" >/dev/null
	echo "$port" > "$state/port"
	echo "host=127.0.0.1 port=$port user=postgres dbname=postgres" > "$state/conninfo"
	echo "postgresql://postgres@127.0.0.1:$port/assay" > "$state/url"
	head -n 1 "$root/data/postmaster.pid" > "$state/pid"
	echo "PostgreSQL on 127.0.0.1:$port (socket in $root, pid $(cat "$state/pid"))"
	;;
restart)
	[ -f "$state/pgroot" ] || die "no cluster for $state (pg.sh start $state first)"
	root=$(cat "$state/pgroot")
	# pg_ctl restart starts it with the options it was started with (postmaster.opts).
	as_pg "$PGBIN/pg_ctl" -D "$root/data" -l "$root/server.log" -m fast -w -t 60 restart \
		>/dev/null 2>&1 || { tail -n 20 "$root/server.log" >&2; die "PostgreSQL did not restart"; }
	head -n 1 "$root/data/postmaster.pid" > "$state/pid"
	echo "PostgreSQL restarted on 127.0.0.1:$(cat "$state/port") (pid $(cat "$state/pid"))"
	;;
stop)
	[ -f "$state/pgroot" ] || exit 0
	root=$(cat "$state/pgroot")
	if [ -f "$root/data/postmaster.pid" ]; then
		as_pg "$PGBIN/pg_ctl" -D "$root/data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
	fi
	stop_pid_file "$state/pid"
	case "$root" in /tmp/assay-pg.*) rm -rf "$root" ;; esac
	rm -f "$state/pgroot" "$state/port" "$state/conninfo" "$state/url"
	;;
*)
	die "usage: pg.sh start|restart|stop STATE_DIR"
	;;
esac
