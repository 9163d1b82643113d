# redis-ha: shell functions shared by the start and health scripts (sourced).
# shellcheck shell=sh

# The master most of the Sentinels in $SENTINELS name for $MASTER_NAME, as "host port";
# empty when none answers within 2 s each.
sentinels_master() {
  for s in ${SENTINELS:-}; do
    timeout 2 redis-cli --no-auth-warning -h "$s" -p 26379 --raw \
      SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\n' ' ' || true
    echo
  done | grep -E '^[^ ]+ [0-9]+ $' | sort | uniq -c | sort -rn | head -n 1 | awk '{print $2" "$3}'
}
