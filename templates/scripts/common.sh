# redis-ha: shell functions shared by the start and health scripts (sourced).
# shellcheck shell=sh

nl='
'

# Secrets are files, never environment variables: /run/secrets/<user> (compose secrets),
# present only when the deployment has auth. (Overridable only so that tests can run the
# scripts without root.)
SECRETS_DIR=${REDIS_HA_SECRETS_DIR:-/run/secrets}

# The password of user $1 from its secret file; nothing when the deployment has no auth
# (no file). Fails, saying why, when the file is there but unreadable or empty.
secret() {
  [ -e "$SECRETS_DIR/$1" ] || return 0
  _secret=$(cat "$SECRETS_DIR/$1" 2>/dev/null) || _secret=""
  if [ -z "$_secret" ]; then
    echo "redis-ha: cannot read the secret $SECRETS_DIR/$1 (empty, or not readable by uid $(id -u))" >&2
    return 1
  fi
  printf '%s' "$_secret"
}

# The deployment's CA, mounted only when it speaks TLS: then every redis-cli call is TLS,
# verified against it (no client certificate: Redis does not ask for one).
TLS_CA=$SECRETS_DIR/tls-ca.crt

# rcli SECONDS USER ARGS...: redis-cli as USER, ending after SECONDS. The password reaches
# redis-cli through REDISCLI_AUTH for that one process (never on a command line, which
# `ps` and `docker top` show); without auth, no user.
rcli() {
  _t=$1 _u=$2
  shift 2
  if [ -e "$TLS_CA" ]; then set -- --tls --cacert "$TLS_CA" "$@"; fi
  _pw=$(secret "$_u") || return 1
  if [ -n "$_pw" ]; then
    REDISCLI_AUTH=$_pw timeout "$_t" redis-cli --no-auth-warning --user "$_u" "$@"
  else
    timeout "$_t" redis-cli --no-auth-warning "$@"
  fi
}

# Waits until a Redis answers PING with PONG (not just exit 0: redis-cli prints an error reply,
# LOADING or NOAUTH, and exits 0), asking every 50 ms as the health user. $1: the deadline
# (epoch seconds), then redis-cli's address arguments (-h host -p port; none: this node).
# Fails once the deadline has passed.
await_pong() {
  _deadline=$1
  shift
  until [ "$(rcli 1 health "$@" PING 2>/dev/null)" = PONG ]; do
    [ "$(date +%s)" -ge "$_deadline" ] && return 1
    sleep 0.05
  done
}

# True when $1 is a reply to SENTINEL get-master-addr-by-name as redis-cli --raw prints it
# (trailing newlines stripped): a host line and a numeric port line, nothing else.
# redis-cli prints an error reply (NOAUTH ..., LOADING ...) the same way and exits 0, but an
# error is one line; nil (no such master) is empty.
is_master_addr() {
  addr_host=${1%%"$nl"*}
  addr_port=${1#*"$nl"}
  [ "$addr_host" != "$1" ] || return 1
  # A host name, IPv4 or IPv6 address; nothing that the start scripts' sed would misread.
  case "$addr_host" in '' | *[!A-Za-z0-9._:-]*) return 1 ;; esac
  case "$addr_port" in '' | *[!0-9]*) return 1 ;; esac
}

# One line per Sentinel in $SENTINELS (2 s at most): "<sentinel>: <host> <port>" when it names a
# master for $MASTER_NAME; "<sentinel>: no answer" when it is down or silent, "<sentinel>:
# names no master" on nil; otherwise "<sentinel> replied: " and the first line of its reply
# (an error such as NOAUTH). Only the first form has a port after two words ending in ":".
sentinels_answers() {
  # Asked all at once (a Sentinel that is cut off costs its 2 s once, not once per Sentinel),
  # printed in the order of $SENTINELS. Without a writable temp dir, one after another.
  if ! _asked=$(mktemp -d "${TMPDIR:-/tmp}/redis-ha-ask.XXXXXX" 2>/dev/null); then
    for s in ${SENTINELS:-}; do sentinel_answer "$s"; done
    return 0
  fi
  _n=0
  for s in ${SENTINELS:-}; do
    _n=$((_n + 1))
    sentinel_answer "$s" >"$_asked/$_n" &
  done
  wait
  _i=0
  while [ "$_i" -lt "$_n" ]; do
    _i=$((_i + 1))
    cat "$_asked/$_i"
  done
  rm -rf "$_asked"
}

# One line of sentinels_answers: what Sentinel $1 says.
sentinel_answer() {
  if ! reply=$(rcli 2 health -h "$1" -p 26379 --raw \
    SENTINEL get-master-addr-by-name "$MASTER_NAME" 2>/dev/null); then
    echo "$1: no answer"
  elif is_master_addr "$reply"; then
    echo "$1: $addr_host $addr_port"
  elif [ -z "$reply" ]; then
    echo "$1: names no master"
  else
    printf '%s replied: %s\n' "$1" "${reply%%"$nl"*}"
  fi
}

# The master ("host port") that a majority of the deployment's $SENTINEL_COUNT Sentinels name
# in $1 (the lines of sentinels_answers); empty when none has one. A majority of all the
# Sentinels, not of those that answered: one Sentinel, or one side of a split, may hold a
# stale view (it missed a failover while cut off), and the majority is what Sentinel itself
# needs to authorize a failover. For sentinel-start.sh $SENTINELS lists the peers only, the
# count includes the Sentinel that is starting (it cannot answer yet).
majority_master() {
  case "${SENTINEL_COUNT:-}" in
    '' | *[!0-9]*) echo "redis-ha: SENTINEL_COUNT is not set; trusting no Sentinel answer" >&2; return 0 ;;
  esac
  printf '%s\n' "$1" | awk -v total="$SENTINEL_COUNT" '
    $1 ~ /:$/ && NF == 3 && $3 ~ /^[0-9]+$/ { n[$2 " " $3]++ }
    END { for (a in n) if (2 * n[a] > total) { print a; exit } }'
}

# The answers of sentinels_answers on one line, for the log.
answers_summary() {
  printf '%s\n' "$1" | awk 'NF { printf "%s%s", sep, $0; sep = "; " }'
}

# $1 as a Redis config value: in double quotes, with " and \ escaped, which is how Redis
# (and Sentinel) split config lines, so that spaces, quotes, # and backslashes survive.
config_quote() {
  printf '"%s"' "$(printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')"
}

# The IPv4 address host name $1 resolves to now, or nothing: getent where the image has it
# (Debian, Alpine), else busybox's nslookup (the address after the "Name:" line).
resolve_ipv4() {
  if command -v getent >/dev/null 2>&1; then
    getent hosts "$1" 2>/dev/null | awk '$1 ~ /^[0-9.]+$/ { print $1; exit }'
  else
    nslookup "$1" 2>/dev/null | awk '/^Name:/ { named = 1; next }
      named && /^Address/ { sub(/^Address:?[ \t]*/, ""); if ($1 ~ /^[0-9.]+$/) { print $1; exit } }'
  fi
}

# Cluster nodes: nodes.conf keeps the addresses of the peers, and a restart may give a container
# another one (a restart of every node swaps them around), so a node may dial a peer where it no
# longer is, or reach itself there. Until $1 (epoch seconds), every peer this node sees
# disconnected, failed or without an address is met again at the address its announced name
# (cluster-announce-hostname) resolves to now: CLUSTER MEET of a known node updates its address.
# Ends once every peer is seen connected twice in a row (a link to a peer's old address shows
# connected for a moment, until the node there answers with another id). As the admin user.
cluster_remeet() {
  _deadline=$1
  _whole=0
  await_pong "$_deadline" || return 0
  while [ "$(date +%s)" -lt "$_deadline" ]; do
    _nodes=$(rcli 2 admin CLUSTER NODES 2>/dev/null) || _nodes=""
    case "$_nodes" in *myself*) ;; *) sleep 1; continue ;; esac
    # "name ip" of each peer not connected, from `<id> <ip:port@cport,name> <flags> ... <link>`.
    _lost=$(printf '%s\n' "$_nodes" | awk '$3 !~ /myself/ && NF >= 8 && ($8 != "connected" || $3 ~ /fail|noaddr|handshake/) {
      split($2, a, ","); split(a[1], hp, ":"); if (a[2] != "") print a[2] " " hp[1] }')
    if [ -z "$_lost" ]; then
      _whole=$((_whole + 1))
      [ "$_whole" -ge 2 ] && return 0
      sleep 1
      continue
    fi
    _whole=0
    printf '%s\n' "$_lost" | while read -r _name _old; do
      _ip=$(resolve_ipv4 "$_name")
      if [ -n "$_ip" ] && [ "$_ip" != "$_old" ]; then
        echo "redis-ha: $_name is at $_ip now (known at ${_old:-no address}): CLUSTER MEET"
        rcli 2 admin CLUSTER MEET "$_ip" 6379 16379 >/dev/null 2>&1 || true
      fi
    done
    sleep 1
  done
}
