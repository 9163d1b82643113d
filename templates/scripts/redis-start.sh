#!/bin/sh
# redis-ha: starts one Redis node; runs at every container start.
# Decides the node's role before Redis starts, so that a node that restarts never comes
# back as a second master: the Sentinels' answer wins, then the role this node last had
# (as Redis/Sentinel rewrote it), then the rendered default (first start).
# Env: NODE_NAME, MASTER_NAME, SENTINELS ("sentinel-1 sentinel-2 ..."), REDIS_PASSWORD.
set -eu
[ -n "${REDIS_PASSWORD:-}" ] && export REDISCLI_AUTH="$REDIS_PASSWORD"

# The directories are overridable only so that tests can run this script without root.
conf_dir=${REDIS_HA_CONF_DIR:-/usr/local/etc/redis-ha}
data_dir=${REDIS_HA_DATA_DIR:-/data}
rendered=$conf_dir/redis.conf
live=$data_dir/redis.conf
# Present while a first start is still attaching to its master; holds "host port".
attaching=$data_dir/.redis-ha-attaching
pending=$(cat "$attaching" 2>/dev/null || true)
rm -f "$attaching"
attach=""

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$conf_dir/scripts/common.sh"

answer=$(sentinels_master)
if [ -n "$answer" ]; then
  if [ "${answer% *}" = "$NODE_NAME" ]; then role=""; else role="replicaof $answer"; fi
  echo "redis-ha: Sentinels name ${answer% *} as master"
elif [ -f "$live" ]; then
  role=$(grep -E '^(replicaof|slaveof) ' "$live" | tail -n 1 || true)
  [ -z "$role" ] && [ -n "$pending" ] && role="replicaof $pending"
  echo "redis-ha: no Sentinel answered; keeping the last role (${role:-master})"
else
  role=$(grep -E '^replicaof ' "$rendered" || true)
  echo "redis-ha: first start; role as rendered (${role:-master})"
  if [ -n "$role" ]; then
    # An empty node on its first start: with replicaof in its config Redis would connect
    # only at its next replication cron (up to 1 s later); the REPLICAOF command connects
    # at once. The node holds no data yet, and the healthcheck fails until it is attached.
    attach="${role#replicaof }"
    role=""
  fi
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

if [ -n "$attach" ]; then
  echo "$attach" >"$attaching"
  (
    until timeout 1 redis-cli --no-auth-warning PING >/dev/null 2>&1; do sleep 0.05; done
    until timeout 1 redis-cli --no-auth-warning -h "${attach% *}" -p "${attach#* }" PING >/dev/null 2>&1; do sleep 0.05; done
    # shellcheck disable=SC2086 # "host port" are two arguments
    redis-cli --no-auth-warning REPLICAOF $attach >/dev/null &&
      redis-cli --no-auth-warning CONFIG REWRITE >/dev/null &&
      rm -f "$attaching"
  ) &
fi
# The image's entrypoint fixes ownership of /data and drops root before starting Redis.
exec docker-entrypoint.sh redis-server "$live"
