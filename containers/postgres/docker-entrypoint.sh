#!/bin/bash
# CommEazy PostgreSQL entrypoint: the official postgres image's environment contract (the part
# Aspire's AddPostgres uses) on Debian's PostgreSQL 15. Contract: README.md.
#  - as root: prepares $PGDATA and the socket directory, then re-runs itself as user postgres
#    (setpriv: no PAM, so ulimits and the environment are kept);
#  - first start on an empty $PGDATA: initdb with POSTGRES_USER/POSTGRES_PASSWORD and
#    POSTGRES_INITDB_ARGS, pg_hba for remote clients (POSTGRES_HOST_AUTH_METHOD), POSTGRES_DB,
#    then /docker-entrypoint-initdb.d/*.sh|*.sql against a socket-only temporary server;
#  - with POSTGRES_PRIMARY_HOST: a streaming replica of that primary instead (pg_basebackup on
#    the first start);
#  - a $PGDATA that already holds a cluster is used as it is (nothing above runs again), except
#    that a primary's pg_hba.conf always admits replication connections;
#  - runs postgres as a child and turns SIGTERM into SIGINT ("fast" shutdown: open sessions are
#    ended, everything is flushed) so a `docker stop` finishes cleanly within its grace period.
# Passwords are never printed. Logs go to stderr.
set -Eeuo pipefail

log() { echo "postgres-entrypoint: $*" >&2; }
die() { echo "postgres-entrypoint: error: $*" >&2; exit 64; }

# Command: `postgres [args]` (default), `-c x=y ...` (args for postgres), or anything else (run
# as is, as postgres, without initialisation).
if [ $# -eq 0 ] || [ "${1:0:1}" = - ]; then set -- postgres "$@"; fi

if [ "$(id -u)" = 0 ]; then
	install -d -m 0700 "$PGDATA"
	find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
	install -d -o postgres -g postgres -m 3777 /var/run/postgresql
	exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$0" "$@"
fi
[ "$1" = postgres ] || exec "$@"

POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
POSTGRES_HOST_AUTH_METHOD=${POSTGRES_HOST_AUTH_METHOD:-scram-sha-256}
export POSTGRES_USER POSTGRES_DB POSTGRES_HOST_AUTH_METHOD # for init scripts

init_cluster() {
	if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		die "POSTGRES_PASSWORD is not set (required unless POSTGRES_HOST_AUTH_METHOD=trust)"
	fi
	log "initialising a new cluster in $PGDATA"
	local -a initdb_args
	read -ra initdb_args <<<"${POSTGRES_INITDB_ARGS:-}" # word-split, like the official image
	initdb --username="$POSTGRES_USER" --pwfile=<(printf '%s\n' "${POSTGRES_PASSWORD:-}") \
		--encoding=UTF8 --locale=C.UTF-8 "${initdb_args[@]}" >&2
	# Remote clients: any address, the configured method (the official image does the same).
	printf '\n# docker-entrypoint: remote clients\nhost all all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" \
		>>"$PGDATA/pg_hba.conf"
	printf "\n# docker-entrypoint\nlisten_addresses = '*'\n" >>"$PGDATA/postgresql.conf"

	# Temporary server on the Unix socket only, for POSTGRES_DB and the init scripts.
	export PGPASSWORD=${PGPASSWORD:-${POSTGRES_PASSWORD:-}}
	pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w start >&2
	local -a psql=(psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER")
	if [ "$POSTGRES_DB" != postgres ]; then
		"${psql[@]}" --dbname postgres --set db="$POSTGRES_DB" \
			<<<'CREATE DATABASE :"db";' >/dev/null
	fi
	local f
	for f in /docker-entrypoint-initdb.d/*; do
		# shellcheck disable=SC1090 # init scripts are the caller's
		case $f in
			*.sh) log "running $f"; if [ -x "$f" ]; then "$f"; else . "$f"; fi ;;
			*.sql) log "running $f"; "${psql[@]}" --dbname "$POSTGRES_DB" -f "$f" >/dev/null ;;
			*'/*') ;; # empty directory
			*) log "ignoring $f" ;;
		esac
	done
	pg_ctl -D "$PGDATA" -m fast -w stop >&2
	unset PGPASSWORD
	log "initialisation done"
}

# A streaming replica (POSTGRES_PRIMARY_HOST set): the first start copies the primary with
# pg_basebackup (-R: standby.signal and primary_conninfo), later starts resume streaming.
init_replica() {
	[ -n "${POSTGRES_PASSWORD:-}" ] || die "POSTGRES_PASSWORD (the primary's password for $POSTGRES_USER) is not set"
	local host=$POSTGRES_PRIMARY_HOST port=${POSTGRES_PRIMARY_PORT:-5432} name=${POSTGRES_REPLICA_NAME:-replica}
	[[ $name =~ ^[a-z0-9_]+$ ]] || die "POSTGRES_REPLICA_NAME may hold only a-z, 0-9 and _"
	export PGPASSWORD=$POSTGRES_PASSWORD
	log "waiting for the primary at $host:$port"
	local i
	for i in $(seq 1 120); do
		pg_isready -q -h "$host" -p "$port" -U "$POSTGRES_USER" && break
		[ "$i" -lt 120 ] || die "the primary at $host:$port did not answer within 120 s"
		sleep 1
	done
	log "copying the primary into $PGDATA (pg_basebackup)"
	pg_basebackup -h "$host" -p "$port" -U "$POSTGRES_USER" -D "$PGDATA" -X stream -R \
		-d "application_name=$name" --checkpoint=fast >&2
	unset PGPASSWORD
	log "replica of $host:$port ready (application_name $name)"
}

# Replication connections (the replica's pg_basebackup and streaming) with the remote clients'
# method; added to clusters made before this line existed too.
allow_replication() {
	grep -q '^host replication all all ' "$PGDATA/pg_hba.conf" \
		|| printf '\n# docker-entrypoint: streaming replicas\nhost replication all all %s\n' "$POSTGRES_HOST_AUTH_METHOD" \
			>>"$PGDATA/pg_hba.conf"
}

if [ -s "$PGDATA/PG_VERSION" ]; then
	log "using the existing cluster in $PGDATA (PostgreSQL $(<"$PGDATA/PG_VERSION"))"
elif [ -n "${POSTGRES_PRIMARY_HOST:-}" ]; then
	init_replica
else
	init_cluster
fi
[ -f "$PGDATA/standby.signal" ] || allow_replication

# postgres as a child, with TERM -> INT (fast shutdown) and INT/QUIT passed on.
postgres_pid=
# shellcheck disable=SC2317 # called from the traps
forward() { if [ -n "$postgres_pid" ]; then kill -"$1" "$postgres_pid" 2>/dev/null || true; fi; }
trap 'forward INT' TERM INT
trap 'forward QUIT' QUIT
"$@" &
postgres_pid=$!
status=0
while kill -0 "$postgres_pid" 2>/dev/null; do
	wait "$postgres_pid" && status=0 || status=$?
done
exit "$status"
