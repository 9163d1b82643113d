#!/bin/sh
# redis-ha: healthy = the Sentinel answers and names a master.
[ -n "${REDIS_PASSWORD:-}" ] && export REDISCLI_AUTH="$REDIS_PASSWORD"
timeout 2 redis-cli --no-auth-warning -p 26379 --raw \
  SENTINEL get-master-addr-by-name "$MASTER_NAME" | grep -q .
