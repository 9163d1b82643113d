#!/bin/sh
# redis-ha: starts one Redis node; runs at every container start.
# Decides the node's role before Redis starts, so that a node that restarts never comes
# back as a second master: the Sentinels' answer wins, then the role this node last had
# (as Redis/Sentinel rewrote it), then the rendered default (first start).
# Env: NODE_NAME, MASTER_NAME, SENTINELS ("sentinel-1 sentinel-2 ..."), REDIS_PASSWORD.
set -eu
[ -n "${REDIS_PASSWORD:-}" ] && export REDISCLI_AUTH="$REDIS_PASSWORD"

rendered=/usr/local/etc/redis-ha/redis.conf
live=/data/redis.conf

# The master most Sentinels name, as "host port"; empty when none answers.
sentinels_master() {
  for s in ${SENTINELS:-}; do
    timeout 2 redis-cli --no-auth-warning -h "$s" -p 26379 --raw \
      SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\n' ' ' || true
    echo
  done | grep -E '^[^ ]+ [0-9]+ $' | sort | uniq -c | sort -rn | head -n 1 | awk '{print $2" "$3}'
}

answer=$(sentinels_master)
if [ -n "$answer" ]; then
  if [ "${answer% *}" = "$NODE_NAME" ]; then role=""; else role="replicaof $answer"; fi
  echo "redis-ha: Sentinels name ${answer% *} as master"
elif [ -f "$live" ]; then
  role=$(grep -E '^(replicaof|slaveof) ' "$live" | tail -n 1 || true)
  echo "redis-ha: no Sentinel answered; keeping the last role (${role:-master})"
else
  role=$(grep -E '^replicaof ' "$rendered" || true)
  echo "redis-ha: first start; role as rendered (${role:-master})"
fi

{
  grep -vE '^(replicaof|slaveof) ' "$rendered"
  [ -n "$role" ] && echo "$role"
  if [ -n "${REDIS_PASSWORD:-}" ]; then
    echo "requirepass $REDIS_PASSWORD"
    echo "masterauth $REDIS_PASSWORD"
  fi
} >"$live.tmp"
mv "$live.tmp" "$live"
# The image's entrypoint fixes ownership of /data and drops root before starting Redis.
exec docker-entrypoint.sh redis-server "$live"
