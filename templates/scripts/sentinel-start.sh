#!/bin/sh
# redis-ha: starts one Sentinel; runs at every container start.
# The Sentinel monitors the master its peers name (it may have changed since rendering);
# with no peer answering it keeps its own last state, and on first start the rendered one.
# Env: NODE_NAME, MASTER_NAME, SENTINELS (the other Sentinels). Secrets (files):
# /run/secrets/sentinel (auth-pass to the nodes, sentinel-pass to the peers), health.
set -eu
# The live config holds those passwords: readable by the redis user only.
umask 077

rendered=/usr/local/etc/redis-ha/sentinel.conf
live=/data/sentinel.conf

. /usr/local/etc/redis-ha/scripts/common.sh

with_auth() {
  cat
  if [ -f "$SECRETS_DIR/sentinel" ]; then
    echo "sentinel auth-pass $MASTER_NAME $(cat "$SECRETS_DIR/sentinel")"
    echo "sentinel sentinel-pass $(cat "$SECRETS_DIR/sentinel")"
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
  # ...with the users and passwords of now (they may have changed since that state was written).
  {
    grep -vE '^(requirepass|user|sentinel auth-pass|sentinel auth-user|sentinel sentinel-pass|sentinel sentinel-user) ' "$live"
    grep -E '^(user|sentinel auth-user|sentinel sentinel-user) ' "$rendered" || true
  } | with_auth >"$live.tmp"
  mv "$live.tmp" "$live"
else
  echo "redis-ha: first start; monitoring the rendered master"
  with_auth <"$rendered" >"$live.tmp"
  mv "$live.tmp" "$live"
fi
exec docker-entrypoint.sh redis-server "$live" --sentinel
