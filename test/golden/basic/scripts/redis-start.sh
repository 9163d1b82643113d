#!/bin/sh
# redis-ha: starts one Redis node; runs at every container start.
# Decides the node's role before Redis starts, so that a node that restarts never comes
# back as a second master: the Sentinels' answer wins, then the role this node last had
# (as Redis/Sentinel rewrote it), then the rendered default (first start).
# Env: NODE_NAME, MASTER_NAME, SENTINELS ("sentinel-1 sentinel-2 ..."). Secrets (files):
# /run/secrets/replica (masterauth), health, admin (REPLICAOF on a first start).
set -eu
# The live config holds masterauth: readable by the redis user only.
umask 077

rendered=/usr/local/etc/redis-ha/redis.conf
live=/data/redis.conf
# Present while a first start is still attaching to its master; holds "host port".
attaching=/data/.redis-ha-attaching
pending=$(cat "$attaching" 2>/dev/null || true)
rm -f "$attaching"
attach=""

. /usr/local/etc/redis-ha/scripts/common.sh

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
  if [ -f "$SECRETS_DIR/replica" ]; then echo "masterauth $(cat "$SECRETS_DIR/replica")"; fi
} >"$live.tmp"
mv "$live.tmp" "$live"

if [ -n "$attach" ]; then
  echo "$attach" >"$attaching"
  (
    until rcli 1 health PING >/dev/null 2>&1; do sleep 0.05; done
    until rcli 1 health -h "${attach% *}" -p "${attach#* }" PING >/dev/null 2>&1; do sleep 0.05; done
    # shellcheck disable=SC2086 # "host port" are two arguments
    rcli 5 admin REPLICAOF $attach >/dev/null &&
      rcli 5 admin CONFIG REWRITE >/dev/null &&
      rm -f "$attaching"
  ) &
fi
# The container runs as the redis user from the start (compose `user:`), so the image's
# entrypoint neither chowns /data nor switches user: no process of it is ever root.
exec docker-entrypoint.sh redis-server "$live"
