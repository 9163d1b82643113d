#!/bin/sh
# redis-ha: healthy = answers, and is either a master or a replica whose link is up.
# Docker runs it every 10 s at rest (healthcheckIntervalMs); nothing waits on it: redis-ha probes from the host.
# Runs as the redis user, as the user "health" (PING, INFO, ROLE only).
# shellcheck source-path=SCRIPTDIR source=common.sh
. "${REDIS_HA_CONF_DIR:-/usr/local/etc/redis-ha}/scripts/common.sh"
# Still attaching to its master on a first start, or gave up doing so (see redis-start.sh);
# what this prints shows in `docker inspect` (State.Health.Log).
attaching=${REDIS_HA_DATA_DIR:-/data}/.redis-ha-attaching
if [ -f "$attaching" ]; then
  echo "redis-ha: still attaching to $(head -n 1 "$attaching")"
  tail -n +2 "$attaching"
  exit 1
fi
info=$(rcli 2 health INFO replication) || exit 1
case "$info" in
  *role:master*) exit 0 ;;
  *master_link_status:up*) exit 0 ;;
esac
exit 1
