#!/bin/bash
# Starts a throwaway 3-node CommEazy Prosody cluster for manual/CI checks (DESIGN.md §3):
# PostgreSQL + prosody-1..3 on the docker network `cez-cluster`, a private CA and node
# certificates made with openssl, each node's 5280 published on 127.0.0.1:528N.
# Usage: cluster-up.sh [image]   (down: cluster-down.sh). Needs docker (eval docker-up.sh first).
set -euo pipefail
IMAGE=${1:-commeazy/prosody:cluster-dev}
NET=cez-cluster DOMAIN=commeazy.local PGPW=cluster-test-pw
KEY=${ROUTING_KEY:-test-routing-key-not-a-secret-0123456789}
DIR=$(mktemp -d); trap 'rm -rf "$DIR"' EXIT
here=$(cd "$(dirname "$0")" && pwd)

docker network create "$NET" >/dev/null 2>&1 || true
docker build -q -t commeazy/postgres:cluster-dev "$here/../../postgres" >/dev/null
docker run -d --name cez-postgres --network "$NET" -e POSTGRES_PASSWORD=$PGPW -e POSTGRES_DB=prosody \
	commeazy/postgres:cluster-dev >/dev/null
until docker exec cez-postgres pg_isready -U postgres -d prosody >/dev/null 2>&1; do sleep 0.5; done
sleep 1

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=CommEazy cluster CA" \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-keyout "$DIR/ca.key" -out "$DIR/ca.crt" 2>/dev/null
for i in 1 2 3; do
	n=prosody-$i
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$DIR/$n.key" 2>/dev/null
	openssl req -new -key "$DIR/$n.key" -subj "/CN=$n" -out "$DIR/$n.csr" 2>/dev/null
	printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n' "$n" >"$DIR/$n.ext"
	openssl x509 -req -in "$DIR/$n.csr" -CA "$DIR/ca.crt" -CAkey "$DIR/ca.key" -CAcreateserial -days 2 \
		-extfile "$DIR/$n.ext" -out "$DIR/$n.crt" 2>/dev/null
	docker run -d --name "cez-$n" --hostname "$n" --network "$NET" --network-alias "$n" -p "127.0.0.1:528$i:5280" ${MOUNT_MODULES:+-v "$here/../modules:/usr/local/lib/prosody/modules:ro"} \
		-e PROSODY_DOMAIN=$DOMAIN -e PROSODY_NODE_ID=$n \
		-e "ConnectionStrings__prosody=Host=cez-postgres;Port=5432;Username=postgres;Password=$PGPW;Database=prosody" \
		-e "PROSODY_CLUSTER_CA_PEM=$(cat "$DIR/ca.crt")" -e "PROSODY_CLUSTER_CERT_PEM=$(cat "$DIR/$n.crt")" \
		-e "PROSODY_CLUSTER_KEY_PEM=$(cat "$DIR/$n.key")" -e "PROSODY_ROUTING_KEY=$KEY" \
		-e "PROSODY_CLUSTER_ADMIN_SECRET=test-admin-secret-not-secret" \
		-e "PROSODY_PUBLIC_WEBSOCKET_URL=ws://edge.test/xmpp-websocket" \
		"$IMAGE" >/dev/null
done
echo "cluster up: ws://127.0.0.1:5281..5283/xmpp-websocket"
