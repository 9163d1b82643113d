#!/bin/sh
# redis-ha: healthy = the Sentinel answers and names a master (as the user "health").
. /usr/local/etc/redis-ha/scripts/common.sh
rcli 2 health -p 26379 --raw SENTINEL get-master-addr-by-name "$MASTER_NAME" | grep -q .
