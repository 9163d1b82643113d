#!/bin/sh
# redis-ha: starts one Redis node; runs at every container start.
# Decides the node's role before Redis starts, so that a node that restarts never comes
# back as a second master: the master a majority of the Sentinels name wins (see
# majority_master in common.sh), then the role this node last had
# (as Redis/Sentinel rewrote it), then the rendered default (first start).
# Env: NODE_NAME, MASTER_NAME, SENTINELS ("sentinel-1 sentinel-2 ..."), SENTINEL_COUNT (the
# deployment's Sentinels). Secrets (files, with auth): /run/secrets/replica (masterauth),
# health (asking the Sentinels, PING), admin (REPLICAOF on a first start; cluster: CLUSTER MEET).
set -eu
# The live config holds masterauth: readable by the redis user only.
umask 077

# The directories are overridable only so that tests can run this script without root.
conf_dir=${REDIS_HA_CONF_DIR:-/usr/local/etc/redis-ha}
data_dir=${REDIS_HA_DATA_DIR:-/data}
rendered=$conf_dir/redis.conf
live=$data_dir/redis.conf
# Present while a first start is still attaching to its master; holds "host port" (and why
# it gave up, if it did).
attaching=$data_dir/.redis-ha-attaching
pending=$(head -n 1 "$attaching" 2>/dev/null || true)
rm -f "$attaching"
attach=""

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$conf_dir/scripts/common.sh"

# Every secret this script uses, read once up front: a secret that is mounted but unreadable
# stops the start here, saying which, instead of looking like Sentinels that do not answer.
masterauth=$(secret replica)
secret health >/dev/null
secret admin >/dev/null

cluster=""
if grep -q '^cluster-enabled yes' "$rendered"; then cluster=yes; fi
answers=$(sentinels_answers)
answer=$(majority_master "$answers")
seen=$(answers_summary "$answers")
if [ -n "$cluster" ]; then
  # The cluster decides: a node's shard and role are in its nodes.conf (redis-ha makes replicas
  # with CLUSTER REPLICATE, Redis rewrites the file on every change); never a replicaof line.
  role=""
  echo "redis-ha: cluster node; shard and role as the cluster last recorded them (nodes.conf)"
elif [ -n "$answer" ]; then
  if [ "${answer% *}" = "$NODE_NAME" ]; then role=""; else role="replicaof $answer"; fi
  echo "redis-ha: a majority of the $SENTINEL_COUNT Sentinels name ${answer% *} as master ($seen)"
elif [ -f "$live" ]; then
  role=$(grep -E '^(replicaof|slaveof) ' "$live" | tail -n 1 || true)
  [ -z "$role" ] && [ -n "$pending" ] && role="replicaof $pending"
  if [ -n "$seen" ]; then
    echo "redis-ha: no majority of the ${SENTINEL_COUNT:-?} Sentinels names a master ($seen); keeping the last role (${role:-master})"
  else
    echo "redis-ha: no Sentinels; keeping the last role (${role:-master})"
  fi
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
  # printf, not echo: dash's echo would turn the escaped backslashes back into single ones.
  if [ -n "$masterauth" ]; then printf 'masterauth %s\n' "$(config_quote "$masterauth")"; fi
} >"$live.tmp"
mv "$live.tmp" "$live"

if [ -n "$attach" ]; then
  echo "$attach" >"$attaching"
  (
    # Bounded by the healthcheck's start_period (30 s): past it the node counts as unhealthy
    # and the deploy waits on it anyway, so waiting longer here would only hide the reason.
    # (Overridable only so that tests need not wait that long.)
    limit=${REDIS_HA_ATTACH_TIMEOUT_S:-30}
    deadline=$(($(date +%s) + limit))
    if ! await_pong "$deadline"; then
      # The marker stays: the healthcheck keeps failing, and says why.
      echo "redis-ha: gave up attaching to $attach: this node did not answer PING within $limit s" |
        tee -a "$attaching"
      exit 1
    fi
    if ! await_pong "$deadline" -h "${attach% *}" -p "${attach#* }"; then
      # Attach anyway: Redis retries the link by itself every second, and a replica whose
      # link is down fails the healthcheck, where an empty master would pass it.
      echo "redis-ha: master $attach did not answer PING within $limit s; leaving the link to Redis' own retries"
    fi
    # OK, not just exit 0 (see PONG above): the marker goes only once this node is a replica.
    # shellcheck disable=SC2086 # "host port" are two arguments
    reply=$(rcli 5 admin REPLICAOF $attach 2>&1 || true)
    [ "$reply" = OK ] && reply=$(rcli 5 admin CONFIG REWRITE 2>&1 || true)
    if [ "$reply" = OK ]; then
      rm -f "$attaching"
    else
      echo "redis-ha: gave up attaching to $attach: $reply" | tee -a "$attaching"
    fi
  ) &
fi
# A cluster node restarted with its nodes.conf: find the peers where they are now (common.sh),
# for at most 60 s (then Redis's own gossip is all there is).
if [ -n "$cluster" ] && [ -f "$data_dir/nodes.conf" ]; then
  cluster_remeet $(($(date +%s) + ${REDIS_HA_REMEET_TIMEOUT_S:-60})) &
fi
# The container runs as the redis user from the start (compose `user:`), so the image's
# entrypoint neither chowns /data nor switches user: no process of it is ever root.
exec docker-entrypoint.sh redis-server "$live"
