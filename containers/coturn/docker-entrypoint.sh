#!/bin/bash
# CommEazy Coturn entrypoint: renders /etc/coturn/turnserver.conf from turnserver.conf.tmpl and the
# environment (contract: README.md), then runs turnserver under coturn_exporter.py, which serves
# the allocation and traffic numbers at :9641/metrics. A missing required variable stops the
# container (exit 64) naming it. The shared secret is never printed.
set -euo pipefail -f
export LC_ALL=C

die() { echo "coturn-entrypoint: error: $*" >&2; exit 64; }
log() { echo "coturn-entrypoint: $*" >&2; }
require_env() { [ -n "${!1:-}" ] || die "required environment variable $1 is not set"; }
require_int() { [[ ${!1} =~ ^[0-9]+$ ]] || die "$1 must be a whole number, got '${!1}'"; }

# Ranges a TURN relay must never reach (RFC 6890 special-purpose, private and link-local).
DENIED='0.0.0.0-0.255.255.255 10.0.0.0-10.255.255.255 100.64.0.0-100.127.255.255
127.0.0.0-127.255.255.255 169.254.0.0-169.254.255.255 172.16.0.0-172.31.255.255
192.0.0.0-192.0.0.255 192.0.2.0-192.0.2.255 192.168.0.0-192.168.255.255
198.18.0.0-198.19.255.255 198.51.100.0-198.51.100.255 203.0.113.0-203.0.113.255
240.0.0.0-255.255.255.255 ::1 ::ffff:0.0.0.0-::ffff:255.255.255.255
64:ff9b::-64:ff9b::ffff:ffff fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff
fe80::-febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff'

render_config() {
	require_env TURN_SECRET
	require_env TURN_REALM
	[[ $TURN_SECRET =~ ^[A-Za-z0-9._~+/=-]+$ ]] || die "TURN_SECRET may hold only letters, digits and ._~+/=-"
	[[ $TURN_REALM =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] || die "TURN_REALM must be a lower-case DNS name, got '$TURN_REALM'"
	: "${TURN_MIN_PORT:=49160}" "${TURN_MAX_PORT:=49200}" "${TURN_USER_QUOTA:=12}" "${TURN_TOTAL_QUOTA:=6000}" "${TURN_MAX_BPS:=0}"
	local v
	for v in TURN_MIN_PORT TURN_MAX_PORT TURN_USER_QUOTA TURN_TOTAL_QUOTA TURN_MAX_BPS; do require_int "$v"; done
	[ "$TURN_MIN_PORT" -le "$TURN_MAX_PORT" ] || die "TURN_MIN_PORT ($TURN_MIN_PORT) is above TURN_MAX_PORT ($TURN_MAX_PORT)"
	local relay=${TURN_RELAY_IP:-$(hostname -i | awk '{print $1}')}
	[[ $relay =~ ^[0-9A-Fa-f:.]+$ ]] || die "TURN_RELAY_IP must be an address, got '$relay'"
	local external=''
	if [ -n "${TURN_EXTERNAL_IP:-}" ]; then
		[[ $TURN_EXTERNAL_IP =~ ^[0-9A-Fa-f:./]+$ ]] || die "TURN_EXTERNAL_IP must be an address (or public/private), got '$TURN_EXTERNAL_IP'"
		external="external-ip=$TURN_EXTERNAL_IP"
	fi
	local tls='no-tls'
	if [ -n "${TURN_TLS_CERT:-}${TURN_TLS_KEY:-}" ]; then
		[ -r "${TURN_TLS_CERT:-}" ] && [ -r "${TURN_TLS_KEY:-}" ] || die "TURN_TLS_CERT and TURN_TLS_KEY must both name readable files"
		tls="tls-listening-port=5349
cert=$TURN_TLS_CERT
pkey=$TURN_TLS_KEY
no-tlsv1
no-tlsv1_1"
	fi
	local denied='' r
	for r in $DENIED; do denied+="denied-peer-ip=$r"$'\n'; done

	local text
	text=$(</etc/coturn/turnserver.conf.tmpl)
	text=${text//"{{SECRET}}"/"$TURN_SECRET"}
	text=${text//"{{REALM}}"/"$TURN_REALM"}
	text=${text//"{{TLS}}"/"$tls"}
	text=${text//"{{MIN_PORT}}"/"$TURN_MIN_PORT"}
	text=${text//"{{MAX_PORT}}"/"$TURN_MAX_PORT"}
	text=${text//"{{RELAY_IP}}"/"$relay"}
	text=${text//"{{EXTERNAL_IP}}"/"$external"}
	text=${text//"{{USER_QUOTA}}"/"$TURN_USER_QUOTA"}
	text=${text//"{{TOTAL_QUOTA}}"/"$TURN_TOTAL_QUOTA"}
	text=${text//"{{MAX_BPS}}"/"$TURN_MAX_BPS"}
	text=${text//"{{DENIED_PEERS}}"/"$denied"}
	! [[ $text =~ \{\{[A-Z_]+\}\} ]] || die "template has an unknown placeholder: ${BASH_REMATCH[0]}"
	( umask 0077; printf '%s\n' "$text" >/etc/coturn/turnserver.conf )
	chown turnserver:turnserver /etc/coturn/turnserver.conf
	log "realm $TURN_REALM, relay $relay ports $TURN_MIN_PORT-$TURN_MAX_PORT${TURN_EXTERNAL_IP:+, external $TURN_EXTERNAL_IP}, ${tls%%$'\n'*}"
}

render_config
[ $# -gt 0 ] || set -- turnserver -c /etc/coturn/turnserver.conf
if [ "$1" = turnserver ]; then
	# Unprivileged from here on (ports 3478/5349 and the relay range are above 1024).
	exec setpriv --reuid=turnserver --regid=turnserver --init-groups --no-new-privs -- python3 /usr/local/lib/coturn/coturn_exporter.py --listen "${TURN_METRICS_PORT:-9641}" -- "$@"
fi
exec "$@"
