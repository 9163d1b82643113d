# redis-ha: shell functions shared by the start scripts and healthchecks (sourced).

# Secrets are files, never environment variables: /run/secrets/<user> (compose secrets),
# present only when the deployment has auth.
SECRETS_DIR=/run/secrets

# rcli SECONDS USER ARGS...: redis-cli as USER, ending after SECONDS. The password reaches
# redis-cli through REDISCLI_AUTH for that one process (never on a command line, which
# `ps` and `docker top` show); without auth, no user.
rcli() {
  _t=$1 _u=$2
  shift 2
  if [ -f "$SECRETS_DIR/$_u" ]; then
    REDISCLI_AUTH=$(cat "$SECRETS_DIR/$_u") timeout "$_t" redis-cli --no-auth-warning --user "$_u" "$@"
  else
    timeout "$_t" redis-cli --no-auth-warning "$@"
  fi
}

# The master most of the Sentinels in $SENTINELS name for $MASTER_NAME, as "host port";
# empty when none answers within 2 s each.
sentinels_master() {
  for s in ${SENTINELS:-}; do
    rcli 2 health -h "$s" -p 26379 --raw \
      SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null | tr '\n' ' ' || true
    echo
  done | grep -E '^[^ ]+ [0-9]+ $' | sort | uniq -c | sort -rn | head -n 1 | awk '{print $2" "$3}'
}
