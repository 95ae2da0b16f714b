#!/bin/bash
# CommEazy Prosody entrypoint (runs as root, then execs as user prosody).
#  1. renders /etc/prosody/prosody.cfg.lua from prosody.cfg.lua.tmpl and the environment
#     (contract: README.md); a missing required variable stops the container with its name;
#  2. makes a self-signed certificate for the domain when none is mounted (c2s on 5222 requires
#     TLS; the apps come over WebSocket through the Edge, which terminates TLS);
#  3. raises the open-file soft limit to the hard limit, then drops privileges with setpriv,
#     which (unlike runuser/su and their PAM session) keeps that limit;
#  4. execs `prosody -F`, or the command given (e.g. `prosodyctl check config`) as prosody.
# The database password is never printed.
set -euo pipefail -f # -f: no globbing of the space-separated lists
shopt -u patsub_replacement 2>/dev/null || true # '&' in ${x//p/r} stays literal
export LC_ALL=C                                  # byte-wise string handling below

TEMPLATE=/etc/prosody/prosody.cfg.lua.tmpl
CONFIG=/etc/prosody/prosody.cfg.lua
CERTS=/etc/prosody/certs

die() { echo "prosody-entrypoint: error: $*" >&2; exit 64; }
log() { echo "prosody-entrypoint: $*" >&2; }
require_env() { [ -n "${!1:-}" ] || die "required environment variable $1 is not set"; }

# A Lua string literal for any byte string: everything but [A-Za-z0-9._@:/+-] as \ddd.
lua_str() {
	local s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
			[A-Za-z0-9._@:/+-]) out+=$c ;;
			*) printf -v c '\\%03d' "'$c"; out+=$c ;;
		esac
	done
	printf '"%s"' "$out"
}
# A Lua array of strings from space-separated words.
lua_list() {
	local out='{' w
	for w in $1; do out+=" $(lua_str "$w");"; done
	printf '%s }' "$out"
}
trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

# Npgsql connection string -> DB_HOST DB_PORT DB_USER DB_PASS DB_NAME. Keys are matched like
# Npgsql does (case-insensitive, spaces ignored, common synonyms); a value may be quoted
# ("..." or '...', with doubled quotes inside); values cannot contain ';'.
parse_connection_string() {
	local rest=$1 part key value
	DB_HOST='' DB_PORT=5432 DB_USER='' DB_PASS='' DB_NAME=''
	while [ -n "$rest" ]; do
		part=${rest%%;*}
		if [ "$part" = "$rest" ]; then rest=''; else rest=${rest#*;}; fi
		[ -n "$(trim "$part")" ] || continue
		[[ $part == *=* ]] || die "ConnectionStrings__prosody: a part has no '=' (expected Key=Value;...)"
		key=${part%%=*}; key=${key//[[:space:]]/}; key=${key,,}
		value=$(trim "${part#*=}")
		if [[ ${#value} -ge 2 && $value == \"*\" ]]; then value=${value:1:-1}; value=${value//\"\"/\"}
		elif [[ ${#value} -ge 2 && $value == \'*\' ]]; then value=${value:1:-1}; value=${value//\'\'/\'}
		fi
		case $key in
			host | server) DB_HOST=$value ;;
			port) DB_PORT=$value ;;
			username | user | userid | uid) DB_USER=$value ;;
			password | pwd | psw) DB_PASS=$value ;;
			database | db) DB_NAME=$value ;;
			*) log "ConnectionStrings__prosody: ignoring key '$key'" ;;
		esac
	done
	[ -n "$DB_HOST" ] || die "ConnectionStrings__prosody has no Host"
	[ -n "$DB_USER" ] || die "ConnectionStrings__prosody has no Username"
	[[ $DB_PORT =~ ^[0-9]{1,5}$ ]] || die "ConnectionStrings__prosody: Port is not a number"
	[ -n "$DB_NAME" ] || DB_NAME=$DB_USER # Npgsql's default
}

render_config() {
	require_env PROSODY_DOMAIN
	require_env PROSODY_NODE_ID
	require_env ConnectionStrings__prosody
	[[ $PROSODY_DOMAIN =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] \
		|| die "PROSODY_DOMAIN must be a lower-case DNS name, got '$PROSODY_DOMAIN'"
	[[ $PROSODY_NODE_ID =~ ^[A-Za-z0-9_-]+$ ]] \
		|| die "PROSODY_NODE_ID may hold only letters, digits, '-' and '_', got '$PROSODY_NODE_ID'"
	local cidrs=${PROSODY_METRICS_ALLOW_CIDR:-127.0.0.0/8 ::1/128 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 fc00::/7} w
	for w in $cidrs; do
		[[ $w =~ ^[0-9A-Fa-f:.]+(/[0-9]{1,3})?$ ]] || die "PROSODY_METRICS_ALLOW_CIDR: '$w' is not an address or CIDR"
	done
	for w in ${PROSODY_ADMINS:-}; do
		[[ $w == ?*@?* ]] || die "PROSODY_ADMINS: '$w' is not a bare JID (user@domain)"
	done
	# shellcheck disable=SC2154 # set by the caller (checked by require_env above)
	parse_connection_string "$ConnectionStrings__prosody"

	local sql
	sql="{ driver = \"PostgreSQL\"; host = $(lua_str "$DB_HOST"); port = $DB_PORT;"
	sql+=" database = $(lua_str "$DB_NAME"); username = $(lua_str "$DB_USER"); password = $(lua_str "$DB_PASS"); }"
	local text
	text=$(<"$TEMPLATE")
	text=${text//"{{DOMAIN}}"/"$(lua_str "$PROSODY_DOMAIN")"}
	text=${text//"{{NODE_ID}}"/"$(lua_str "$PROSODY_NODE_ID")"}
	text=${text//"{{ADMINS}}"/"$(lua_list "${PROSODY_ADMINS:-}")"}
	local level=${PROSODY_LOG_LEVEL:-info}
	[[ $level =~ ^(debug|info|warn|error)$ ]] || die "PROSODY_LOG_LEVEL must be debug, info, warn or error, got '$level'"
	[ "$level" != debug ] || log "PROSODY_LOG_LEVEL=debug: stanzas, message bodies included, go to the log. Never in production."
	text=${text//"{{LOG_LEVEL}}"/"$(lua_str "$level")"}
	text=${text//"{{METRICS_ALLOW_CIDR}}"/"$(lua_list "$cidrs")"}
	text=${text//"{{SQL}}"/"$sql"}
	turn_config
	text=${text//"{{TURN_MODULES}}"/"$TURN_MODULES"}
	text=${text//"{{TURN}}"/"$TURN"}
	cluster_config
	push_config
	text=${text//"{{PUSH_COMPONENT}}"/"$PUSH_COMPONENT"}
	text=${text//"{{MODULES_DISABLED}}"/"$MODULES_DISABLED"}
	text=${text//"{{CLUSTER_GLOBAL}}"/"$CLUSTER_GLOBAL"}
	text=${text//"{{CLUSTER_HOSTS}}"/"$CLUSTER_HOSTS"}
	! [[ $text =~ \{\{[A-Z_]+\}\} ]] || die "template has an unknown placeholder: ${BASH_REMATCH[0]}"

	# Written as root, readable by root and the prosody group only (it holds the password).
	local tmp
	tmp=$(mktemp "$CONFIG.XXXXXX")
	chmod 0640 "$tmp"; chgrp prosody "$tmp"
	printf '%s\n' "$text" >"$tmp"
	mv -f "$tmp" "$CONFIG"
	log "config for $PROSODY_DOMAIN (node $PROSODY_NODE_ID, database $DB_NAME at $DB_HOST:$DB_PORT as $DB_USER)"
}

# Calls (XEP-0215 via mod_turn_external): on when PROSODY_TURN_SECRET is set (the TURN REST
# shared secret Coturn also has). Sets TURN_MODULES and TURN (Lua text for the template).
turn_config() {
	TURN_MODULES='' TURN=''
	if [ -z "${PROSODY_TURN_SECRET:-}" ]; then
		log "no PROSODY_TURN_SECRET: no TURN service offered (XEP-0215 off)"
		return 0
	fi
	local host=${PROSODY_TURN_HOST:-$PROSODY_DOMAIN} port=${PROSODY_TURN_PORT:-3478} tls=${PROSODY_TURN_TLS_PORT:-}
	[[ $host =~ ^[A-Za-z0-9]([A-Za-z0-9.:-]*[A-Za-z0-9])?$ ]] || die "PROSODY_TURN_HOST must be a host name or address, got '$host'"
	[[ $port =~ ^[0-9]{1,5}$ ]] || die "PROSODY_TURN_PORT must be a port number, got '$port'"
	[ -z "$tls" ] || [[ $tls =~ ^[0-9]{1,5}$ ]] || die "PROSODY_TURN_TLS_PORT must be a port number, got '$tls'"
	TURN_MODULES='"turn_external"; -- XEP-0215: STUN/TURN services with TURN REST credentials'
	TURN="turn_external_secret = $(lua_str "$PROSODY_TURN_SECRET") -- secret, shared with Coturn
turn_external_host = $(lua_str "$host")
turn_external_port = $port
turn_external_tcp = true
turn_external_ttl = 86400 -- credentials valid for 24 h"
	[ -z "$tls" ] || TURN+="
turn_external_tls_port = $tls"
	log "TURN service offered: $host:$port (udp, tcp${tls:+, tls $tls})"
}

# Cluster mode (DESIGN.md §3): on when any PROSODY_CLUSTER_* / PROSODY_ROUTING_KEY variable is
# set, and then all of CLUSTER_REQUIRED are. Sets MODULES_DISABLED, CLUSTER_GLOBAL, CLUSTER_HOSTS
# (Lua text for the template) and writes the cluster CA, this node's certificate and its key
# (0640 root:prosody; never printed) to $CLUSTER_DIR. Without them: a single node, no s2s at all.
CLUSTER_DIR=/etc/prosody/cluster
CLUSTER_REQUIRED="PROSODY_CLUSTER_CA_PEM PROSODY_CLUSTER_CERT_PEM PROSODY_CLUSTER_KEY_PEM PROSODY_ROUTING_KEY PROSODY_CLUSTER_ADMIN_SECRET"
cluster_config() {
	MODULES_DISABLED='{ "offline"; "s2s"; }' CLUSTER_GLOBAL='' CLUSTER_HOSTS=''
	local v any=''
	for v in $CLUSTER_REQUIRED; do any+=${!v:-}; done
	if [ -z "$any" ]; then
		log "single node (no PROSODY_CLUSTER_* variables): s2s disabled"
		return 0
	fi
	for v in $CLUSTER_REQUIRED; do require_env "$v"; done
	[[ $PROSODY_NODE_ID =~ ^[a-z0-9]([a-z0-9-]*[a-z0-9])?$ ]] \
		|| die "PROSODY_NODE_ID must be a lower-case DNS label in a cluster (it is the cluster host), got '$PROSODY_NODE_ID'"
	[[ $PROSODY_CLUSTER_CA_PEM == *"-----BEGIN CERTIFICATE-----"* ]] || die "PROSODY_CLUSTER_CA_PEM is not a PEM certificate"
	[[ $PROSODY_CLUSTER_CERT_PEM == *"-----BEGIN CERTIFICATE-----"* ]] || die "PROSODY_CLUSTER_CERT_PEM is not a PEM certificate"
	[[ $PROSODY_CLUSTER_KEY_PEM == *"PRIVATE KEY-----"* ]] || die "PROSODY_CLUSTER_KEY_PEM is not a PEM private key"
	[ ${#PROSODY_ROUTING_KEY} -ge 32 ] || die "PROSODY_ROUTING_KEY must be at least 32 characters"
	[ ${#PROSODY_CLUSTER_ADMIN_SECRET} -ge 16 ] || die "PROSODY_CLUSTER_ADMIN_SECRET must be at least 16 characters"
	install -d -o root -g prosody -m 0750 "$CLUSTER_DIR"
	printf '%s\n' "$PROSODY_CLUSTER_CA_PEM" >"$CLUSTER_DIR/ca.crt"
	printf '%s\n' "$PROSODY_CLUSTER_CERT_PEM" >"$CLUSTER_DIR/node.crt"
	( umask 0137; printf '%s\n' "$PROSODY_CLUSTER_KEY_PEM" >"$CLUSTER_DIR/node.key" )
	chown root:prosody "$CLUSTER_DIR"/ca.crt "$CLUSTER_DIR"/node.crt "$CLUSTER_DIR"/node.key
	chmod 0644 "$CLUSTER_DIR"/ca.crt "$CLUSTER_DIR"/node.crt; chmod 0640 "$CLUSTER_DIR"/node.key
	local url=${PROSODY_PUBLIC_WEBSOCKET_URL:-} host=$PROSODY_NODE_ID
	[ -z "$url" ] || [[ $url =~ ^wss?://[^[:space:]]+$ ]] || die "PROSODY_PUBLIC_WEBSOCKET_URL must be a ws:// or wss:// URL"
	local h=${PROSODY_CLUSTER_HEARTBEAT:-1} t=${PROSODY_CLUSTER_MEMBER_TTL:-4}
	[[ $h =~ ^[0-9]+$ && $t =~ ^[0-9]+$ ]] || die "PROSODY_CLUSTER_HEARTBEAT / PROSODY_CLUSTER_MEMBER_TTL must be whole seconds"
	[ "$t" -gt "$h" ] || die "PROSODY_CLUSTER_MEMBER_TTL ($t) must be longer than PROSODY_CLUSTER_HEARTBEAT ($h)"
	MODULES_DISABLED='{ "offline"; }' # s2s is disabled on the user domain instead (CLUSTER_HOSTS)
	CLUSTER_GLOBAL="commeazy_cluster_host = $(lua_str "$host") -- this node's host on the s2s mesh
commeazy_cluster_user_host = $(lua_str "$PROSODY_DOMAIN")
commeazy_cluster_routing_key = $(lua_str "$PROSODY_ROUTING_KEY") -- secret (user keys, ?u=)
commeazy_cluster_admin_secret = $(lua_str "$PROSODY_CLUSTER_ADMIN_SECRET") -- secret (/cluster)
commeazy_cluster_heartbeat = $h
commeazy_cluster_member_ttl = $t"
	[ -z "$url" ] || CLUSTER_GLOBAL+="
commeazy_cluster_public_websocket_url = $(lua_str "$url")"
	CLUSTER_GLOBAL+='
s2s_ports = { 5269 } -- the container network only (not published)
s2s_interfaces = { "*" }
s2s_require_encryption = true
s2s_secure_auth = true -- certificates of the private cluster CA: TLS + SASL EXTERNAL, no dialback
s2s_timeout = 10 -- a member that does not answer within this is treated as unreachable'
	CLUSTER_HOSTS='-- Cluster routing: every stanza for a user is handled on its home node.
modules_enabled = { "commeazy_cluster"; "commeazy_cluster_sessions"; "commeazy_cluster_admin"; }
modules_disabled = { "offline"; "s2s"; } -- no s2s for the user domain: no federation

---------- This node'"'"'s cluster host (s2s between nodes only) ----------
Component '"$(lua_str "$host")"' "commeazy_cluster_link"
	-- certificates authenticate peers; XEP-0198 acks tell which forwards a dead peer never took
	modules_enabled = { "s2s_auth_certs"; "smacks"; }
	ssl = {
		certificate = "'"$CLUSTER_DIR"'/node.crt";
		key = "'"$CLUSTER_DIR"'/node.key";
		cafile = "'"$CLUSTER_DIR"'/ca.crt"; -- only the private cluster CA is trusted
	}'
	log "cluster node $PROSODY_NODE_ID (cluster host $host, s2s on 5269)"
}

# The push app server (XEP-0357 via XEP-0114): on when PROSODY_PUSH_COMPONENT is set, and then
# PROSODY_PUSH_COMPONENT_SECRET is required. Sets PUSH_COMPONENT (Lua text for the template). The
# secret is rendered as a Lua literal like every other value and never printed.
push_config() {
	PUSH_COMPONENT=''
	if [ -z "${PROSODY_PUSH_COMPONENT:-}" ]; then
		[ -z "${PROSODY_PUSH_COMPONENT_SECRET:-}" ] || die "PROSODY_PUSH_COMPONENT_SECRET is set but PROSODY_PUSH_COMPONENT (the component JID) is not"
		log "no push component (PROSODY_PUSH_COMPONENT not set): pushes are published to no one"
		return 0
	fi
	require_env PROSODY_PUSH_COMPONENT_SECRET
	[[ $PROSODY_PUSH_COMPONENT =~ ^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$ ]] \
		|| die "PROSODY_PUSH_COMPONENT must be a lower-case DNS name (the component JID), got '$PROSODY_PUSH_COMPONENT'"
	[ "$PROSODY_PUSH_COMPONENT" != "$PROSODY_DOMAIN" ] || die "PROSODY_PUSH_COMPONENT must differ from PROSODY_DOMAIN"
	[[ ${#PROSODY_PUSH_COMPONENT_SECRET} -ge 16 && $PROSODY_PUSH_COMPONENT_SECRET =~ ^[!-~]+$ ]] \
		|| die "PROSODY_PUSH_COMPONENT_SECRET must be at least 16 printable ASCII characters without spaces"
	PUSH_COMPONENT="---------- Push app server (CommEazy.PushGateway over XEP-0114) ----------
Component $(lua_str "$PROSODY_PUSH_COMPONENT")
	component_secret = $(lua_str "$PROSODY_PUSH_COMPONENT_SECRET") -- secret
	component_conflict_resolve = \"kick_old\" -- a restarted gateway replaces its stale link
	modules_enabled = { \"commeazy_push_guard\"; } -- only $PROSODY_DOMAIN may talk to it
	commeazy_push_service_host = $(lua_str "$PROSODY_DOMAIN")"
	log "push component $PROSODY_PUSH_COMPONENT on port 5347"
}

ensure_certificate() {
	local crt=$CERTS/$PROSODY_DOMAIN.crt key=$CERTS/$PROSODY_DOMAIN.key
	[ -s "$crt" ] && [ -s "$key" ] && return 0
	[ -w "$CERTS" ] || { log "no certificate for $PROSODY_DOMAIN and $CERTS is read-only"; return 0; }
	log "no certificate for $PROSODY_DOMAIN in $CERTS: making a self-signed one"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-subj "/CN=$PROSODY_DOMAIN" -addext "subjectAltName=DNS:$PROSODY_DOMAIN" \
		-keyout "$key" -out "$crt" 2>/dev/null
	chown root:prosody "$key" "$crt"; chmod 0640 "$key"; chmod 0644 "$crt"
}

[ "$(id -u)" = 0 ] || die "start the container as root: the entrypoint drops to user prosody itself"
render_config
ensure_certificate
install -d -o prosody -g prosody -m 0750 /run/prosody /var/lib/prosody

ulimit -Sn "$(ulimit -Hn)"
[ $# -gt 0 ] || set -- prosody -F
export HOME=/var/lib/prosody
exec setpriv --reuid=prosody --regid=prosody --init-groups --no-new-privs -- "$@"
