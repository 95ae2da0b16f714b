#!/bin/bash
# CommEazy Prometheus entrypoint: writes /etc/prometheus/prometheus.yml from the environment, then
# runs prometheus as user prometheus. Contract (README.md):
#   SCRAPE_<anything>="<job> <instance> <host:port> [<path>]"   one variable per target
#   PROMETHEUS_SCRAPE_INTERVAL   default 15s (also the rule evaluation interval)
#   PROMETHEUS_RETENTION         default 15d
# Prometheus scrapes itself as job "prometheus". A malformed target stops the container (exit 64).
set -euo pipefail -f
export LC_ALL=C
die() { echo "prometheus-entrypoint: error: $*" >&2; exit 64; }
log() { echo "prometheus-entrypoint: $*" >&2; }

interval=${PROMETHEUS_SCRAPE_INTERVAL:-15s}
[[ $interval =~ ^[0-9]+(ms|s|m)$ ]] || die "PROMETHEUS_SCRAPE_INTERVAL must be a duration like 15s, got '$interval'"
retention=${PROMETHEUS_RETENTION:-15d}
[[ $retention =~ ^[0-9]+[hdwy]$ ]] || die "PROMETHEUS_RETENTION must be a duration like 15d, got '$retention'"

declare -A paths=() targets=()
jobs=()
while IFS= read -r var; do
	read -r job instance address path extra <<<"${!var}" || true
	[ -n "${address:-}" ] && [ -z "${extra:-}" ] || die "$var must be '<job> <instance> <host:port> [<path>]', got '${!var}'"
	[[ $job =~ ^[a-z][a-z0-9_-]*$ ]] || die "$var: job '$job' must be a lower-case name"
	[[ $instance =~ ^[A-Za-z0-9._-]+$ ]] || die "$var: instance '$instance' may hold only letters, digits and ._-"
	[[ $address =~ ^[A-Za-z0-9._-]+:[0-9]{1,5}$ ]] || die "$var: '$address' is not host:port"
	path=${path:-/metrics}
	[[ $path =~ ^/[A-Za-z0-9/._-]*$ ]] || die "$var: '$path' is not a path"
	if [ -z "${paths[$job]:-}" ]; then jobs+=("$job"); paths[$job]=$path; fi
	[ "${paths[$job]}" = "$path" ] || die "$var: job $job has two metrics paths (${paths[$job]}, $path)"
	targets[$job]+="      - targets: [\"$address\"]
        labels: { instance: \"$instance\" }
"
done < <(compgen -e | grep '^SCRAPE_' | sort)

config="# Written by docker-entrypoint.sh at start; do not edit.
global:
  scrape_interval: $interval
  evaluation_interval: $interval
rule_files:
  - /etc/prometheus/rules/*.yml
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: [\"localhost:9090\"]
        labels: { instance: \"prometheus\" }
"
for job in "${jobs[@]}"; do
	config+="  - job_name: $job
    metrics_path: ${paths[$job]}
    static_configs:
${targets[$job]}"
done
printf '%s' "$config" >/etc/prometheus/prometheus.yml
promtool check config /etc/prometheus/prometheus.yml >&2 || die "the generated configuration does not load"
log "scraping ${#jobs[@]} jobs besides itself every $interval: ${jobs[*]:-none}"

[ $# -gt 0 ] || set -- prometheus --config.file=/etc/prometheus/prometheus.yml \
	--storage.tsdb.path=/prometheus --storage.tsdb.retention.time="$retention" \
	--web.listen-address=:9090 --web.console.templates=/usr/share/prometheus/web/consoles \
	--web.console.libraries=/usr/share/prometheus/web/console_libraries
chown -R prometheus:prometheus /prometheus
exec setpriv --reuid=prometheus --regid=prometheus --init-groups --no-new-privs -- "$@"
