#!/bin/sh
# redis-ha: healthy = the Sentinel answers and names a master (a host and a numeric port;
# redis-cli prints an error reply such as NOAUTH too, and exits 0), asked as the user "health".
# shellcheck source-path=SCRIPTDIR source=common.sh
. "${REDIS_HA_CONF_DIR:-/usr/local/etc/redis-ha}/scripts/common.sh"
reply=$(rcli 2 health -p 26379 --raw SENTINEL get-master-addr-by-name "$MASTER_NAME") || exit 1
if ! is_master_addr "$reply"; then
  echo "redis-ha: names no master for $MASTER_NAME: ${reply:-nil}"
  exit 1
fi
