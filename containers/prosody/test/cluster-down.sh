#!/bin/bash
# Removes what cluster-up.sh started.
docker rm -f cez-prosody-1 cez-prosody-2 cez-prosody-3 cez-postgres >/dev/null 2>&1
docker network rm cez-cluster >/dev/null 2>&1
true
