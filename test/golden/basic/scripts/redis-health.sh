#!/bin/sh
# redis-ha: healthy = answers, and is either a master or a replica whose link is up.
# Sentinels start only once every replica is healthy, so they see all of them at once.
# Runs as the redis user, as the user "health" (PING, INFO, ROLE only).
. /usr/local/etc/redis-ha/scripts/common.sh
# Still attaching to its master on a first start (see redis-start.sh).
[ -f /data/.redis-ha-attaching ] && exit 1
info=$(rcli 2 health INFO replication) || exit 1
case "$info" in
  *role:master*) exit 0 ;;
  *master_link_status:up*) exit 0 ;;
esac
exit 1
