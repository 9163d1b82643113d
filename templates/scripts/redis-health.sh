#!/bin/sh
# redis-ha: healthy = answers, and is either a master or a replica whose link is up.
# Sentinels start only once every replica is healthy, so they see all of them at once.
[ -n "${REDIS_PASSWORD:-}" ] && export REDISCLI_AUTH="$REDIS_PASSWORD"
# Still attaching to its master on a first start (see redis-start.sh).
[ -f "${REDIS_HA_DATA_DIR:-/data}/.redis-ha-attaching" ] && exit 1
info=$(timeout 2 redis-cli --no-auth-warning INFO replication) || exit 1
case "$info" in
  *role:master*) exit 0 ;;
  *master_link_status:up*) exit 0 ;;
esac
exit 1
