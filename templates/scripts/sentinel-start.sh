#!/bin/sh
# redis-ha: starts one Sentinel; runs at every container start.
# The Sentinel monitors the master its peers name (it may have changed since rendering);
# with no peer answering it keeps its own last state, and on first start the rendered one.
# Env: NODE_NAME, MASTER_NAME, SENTINELS (the other Sentinels), REDIS_PASSWORD.
set -eu
[ -n "${REDIS_PASSWORD:-}" ] && export REDISCLI_AUTH="$REDIS_PASSWORD"

# The directories are overridable only so that tests can run this script without root.
conf_dir=${REDIS_HA_CONF_DIR:-/usr/local/etc/redis-ha}
data_dir=${REDIS_HA_DATA_DIR:-/data}
rendered=$conf_dir/sentinel.conf
live=$data_dir/sentinel.conf

# shellcheck source-path=SCRIPTDIR source=common.sh
. "$conf_dir/scripts/common.sh"

with_auth() {
  cat
  if [ -n "${REDIS_PASSWORD:-}" ]; then
    echo "requirepass $REDIS_PASSWORD"
    echo "sentinel auth-pass $MASTER_NAME $REDIS_PASSWORD"
    echo "sentinel sentinel-pass $REDIS_PASSWORD"
  fi
}

answer=$(sentinels_master)
if [ -n "$answer" ]; then
  echo "redis-ha: peers name ${answer% *} as master"
  # Monitor the current master; known replicas are learnt from it at once.
  sed -e "s/^sentinel monitor $MASTER_NAME [^ ]* [0-9]* /sentinel monitor $MASTER_NAME $answer /" \
      -e '/^sentinel known-replica /d' "$rendered" | with_auth >"$live.tmp"
  mv "$live.tmp" "$live"
elif [ -f "$live" ]; then
  echo "redis-ha: no peer answered; keeping this Sentinel's last state"
  # ...with the password of now (it may have changed since that state was written).
  grep -vE '^(requirepass|user default|sentinel auth-pass|sentinel sentinel-pass) ' "$live" | with_auth >"$live.tmp"
  mv "$live.tmp" "$live"
else
  echo "redis-ha: first start; monitoring the rendered master"
  with_auth <"$rendered" >"$live.tmp"
  mv "$live.tmp" "$live"
fi
exec docker-entrypoint.sh redis-server "$live" --sentinel
