#!/usr/bin/env bash
# Smoke-test the local images built by build-images.sh with real containers on a
# throw-away user-defined network. Exits non-zero if any check fails; always removes
# every container / network / anonymous volume it created.
# `check && ok ... || fail ...`: ok only prints (it cannot fail), so fail runs exactly when the check does.
# shellcheck disable=SC2015
set -euo pipefail

REDIS_IMG=redis-ha-local/redis:7.0
HAPROXY_IMG=redis-ha-local/haproxy:2.6
EXPORTER_IMG=redis-ha-local/redis-exporter:1.45
PROMETHEUS_IMG=redis-ha-local/prometheus:2.42
ALERTMANAGER_IMG=redis-ha-local/alertmanager:0.25

P="redis-ha-imgcheck-$$"   # prefix of everything we create
NET="$P"
TMPD="$(mktemp -d /tmp/redis-ha-imgcheck.XXXXXX)"
CONTAINERS=()
FAILED=0

cleanup() {
  local c
  for c in "${CONTAINERS[@]}"; do docker rm -fv "$c" >/dev/null 2>&1 || true; done
  docker network rm "$NET" >/dev/null 2>&1 || true
  rm -rf "$TMPD"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok()   { echo "  ok   $*"; }
fail() { echo "  FAIL $*"; FAILED=1; }
run()  { local name="$1"; shift; CONTAINERS+=("$name"); docker run -d --network "$NET" --name "$name" "$@" >/dev/null; }
# wait_for SECONDS CMD... : retry CMD every 0.5 s
wait_for() { local t=$(( $1 * 2 )); shift; while (( t-- > 0 )); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done; return 1; }
logs() { echo "---- logs $1"; docker logs --tail 15 "$1" 2>&1 | sed 's/^/    /'; }

for i in "$REDIS_IMG" "$HAPROXY_IMG" "$EXPORTER_IMG" "$PROMETHEUS_IMG" "$ALERTMANAGER_IMG"; do
  docker image inspect "$i" >/dev/null 2>&1 || { echo "missing image $i (run build-images.sh)" >&2; exit 1; }
done
docker network create "$NET" >/dev/null
echo "network $NET"

# ---------------------------------------------------------------- redis
echo "redis image ($REDIS_IMG)"
M="$P-m"; R="$P-r"; S="$P-s"
run "$M" "$REDIS_IMG" redis-server --save '' --appendonly no
run "$R" "$REDIS_IMG" redis-server --replicaof "$M" 6379   # master by container name: needs DNS
if wait_for 30 sh -c "docker exec $R redis-cli info replication | grep -q '^master_link_status:up'"; then
  ok "replica $R linked to master $M by name (master_link_status:up)"
else fail "replica never reached master_link_status:up"; logs "$R"; logs "$M"; fi

uid="$(docker exec "$M" sh -c 'grep ^Uid: /proc/1/status' | awk '{print $2}')"
[ "$uid" = 999 ] && ok "redis-server runs as uid 999 (redis)" || fail "redis-server uid is '$uid', want 999"
owner="$(docker exec "$M" stat -c %u:%g /data)"
[ "$owner" = 999:1000 ] && ok "/data owned by 999:1000" || fail "/data owned by $owner"
pm="$(docker exec "$M" redis-cli config get protected-mode | tail -1)"
[ "$pm" = no ] && ok "protected-mode no (as in the official image)" || fail "protected-mode is '$pm'"
if docker exec "$M" sh -c 'for c in sh cat grep sed awk timeout sort uniq head tail cp mv rm mkdir chown find id hostname sleep printf wc tr cut date redis-cli redis-sentinel redis-check-aof redis-check-rdb; do command -v $c >/dev/null || { echo "missing $c"; exit 1; }; done'; then
  ok "userland tools present"
else fail "userland tools missing"; fi

# Sentinel config must be writable (sentinel rewrites it): create it in /data, then
# hand over to the image's entrypoint, which chowns it and drops to redis.
CONF="port 26379
sentinel resolve-hostnames yes
sentinel announce-hostnames yes
sentinel monitor m $M 6379 1
sentinel down-after-milliseconds m 5000"
# shellcheck disable=SC2016 # $1 is expanded by the container's sh, not here
run "$S" --entrypoint sh "$REDIS_IMG" -c \
  'printf "%s\n" "$1" >/data/sentinel.conf && exec docker-entrypoint.sh redis-server /data/sentinel.conf --sentinel' sh "$CONF"
if wait_for 20 sh -c "docker exec $S redis-cli -p 26379 sentinel get-master-addr-by-name m | head -1 | grep -qx '$M'"; then
  ok "sentinel answers get-master-addr-by-name m -> $M"
else fail "sentinel did not report master $M"; logs "$S"; fi
if wait_for 20 sh -c "docker exec $S redis-cli -p 26379 sentinel replicas m | grep -qx slave"; then
  ok "sentinel discovered the replica (listed by IP, as upstream)"
else fail "sentinel did not discover the replica"; docker exec "$S" redis-cli -p 26379 sentinel replicas m || true; fi
docker exec "$S" grep -q '^sentinel myid' /data/sentinel.conf && ok "sentinel rewrote its config file" \
  || fail "sentinel did not rewrite /data/sentinel.conf"

# ---------------------------------------------------------------- haproxy
echo "haproxy image ($HAPROXY_IMG)"
cat >"$TMPD/haproxy.cfg" <<EOF
global
  log stdout format raw local0
defaults
  mode tcp
  log global
  timeout connect 2s
  timeout client 30s
  timeout server 30s
frontend redis
  bind :6379
  default_backend redis
backend redis
  option tcp-check
  tcp-check send PING\r\n
  tcp-check expect string +PONG
  server m $M:6379 check inter 1s
EOF
chmod 644 "$TMPD/haproxy.cfg"; chmod 755 "$TMPD"
if out="$(docker run --rm --network "$NET" -v "$TMPD/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" \
      "$HAPROXY_IMG" haproxy -c -f /usr/local/etc/haproxy/haproxy.cfg 2>&1)"; then
  ok "haproxy -c accepts the config ($(echo "$out" | tail -1))"
else fail "haproxy -c failed: $out"; fi
H="$P-h"
run "$H" -v "$TMPD/haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" "$HAPROXY_IMG"   # default CMD
sleep 2
if [ "$(docker inspect -f '{{.State.Running}}' "$H")" = true ]; then
  ok "haproxy with default CMD still running after 2 s"
else fail "haproxy exited"; logs "$H"; fi
huid="$(docker exec "$H" sh -c 'grep ^Uid: /proc/1/status' | awk '{print $2}')"
[ "$huid" = 99 ] && ok "haproxy runs as uid 99" || fail "haproxy uid is '$huid', want 99"
if wait_for 10 sh -c "docker exec $M redis-cli -h $H -p 6379 ping | grep -qx PONG"; then
  ok "PING through haproxy -> $M answers PONG"
else fail "no PONG through haproxy"; logs "$H"; fi

# ---------------------------------------------------------------- exporter
echo "exporter image ($EXPORTER_IMG)"
E="$P-e"
run "$E" -e REDIS_ADDR="redis://$M:6379" -p 127.0.0.1::9121 "$EXPORTER_IMG"
port="$(docker port "$E" 9121/tcp | head -1 | sed 's/.*://')"
if wait_for 15 sh -c "curl -fsS http://127.0.0.1:$port/metrics | grep -qx 'redis_up 1'"; then
  ok "http://127.0.0.1:$port/metrics has 'redis_up 1'"
else fail "exporter: no 'redis_up 1'"; logs "$E"; fi
euid="$(docker inspect -f '{{.Config.User}}' "$EXPORTER_IMG")"
[ "$euid" = 59000:59000 ] && ok "exporter USER 59000:59000" || fail "exporter USER is $euid"

# Multi-target mode: two password-protected redis, scraped via /scrape?target=.
# The password for /scrape targets comes from the exporter's own REDIS_PASSWORD
# (-redis.password) unless the target URI carries one.
A1="$P-a1"; A2="$P-a2"; EM="$P-em"
run "$A1" "$REDIS_IMG" redis-server --requirepass s3cret --save ''
run "$A2" "$REDIS_IMG" redis-server --requirepass s3cret --save ''
run "$EM" -e REDIS_PASSWORD=s3cret -p 127.0.0.1::9121 "$EXPORTER_IMG"
eport="$(docker port "$EM" 9121/tcp | head -1 | sed 's/.*://')"
wait_for 15 curl -fsS "http://127.0.0.1:$eport/health" || true
for t in "$A1" "$A2"; do
  if wait_for 10 sh -c "curl -fsS 'http://127.0.0.1:$eport/scrape?target=redis://$t:6379' | grep -qx 'redis_up 1'"; then
    ok "/scrape?target=redis://$t:6379 with REDIS_PASSWORD -> redis_up 1"
  else fail "/scrape?target=redis://$t:6379 did not give redis_up 1"; logs "$EM"; fi
done

# ---------------------------------------------------------------- prometheus
echo "prometheus image ($PROMETHEUS_IMG)"
PR="$P-prom"
run "$PR" -p 127.0.0.1::9090 "$PROMETHEUS_IMG"
pport="$(docker port "$PR" 9090/tcp | head -1 | sed 's/.*://')"
if wait_for 20 sh -c "curl -fsS http://127.0.0.1:$pport/-/ready | grep -qi ready"; then
  ok "http://127.0.0.1:$pport/-/ready answers (the image's own config and TSDB path)"
else fail "prometheus: /-/ready never answered"; logs "$PR"; fi
puid="$(docker exec "$PR" sh -c 'grep ^Uid: /proc/1/status' | awk '{print $2}')"
[ "$puid" = 65534 ] && ok "prometheus runs as nobody (65534)" || fail "prometheus uid is '$puid', want 65534"
if docker exec "$PR" /bin/promtool check config /etc/prometheus/prometheus.yml >/dev/null 2>&1; then
  ok "promtool in the image checks its config"
else fail "promtool check config failed in the image"; fi

# ---------------------------------------------------------------- alertmanager
echo "alertmanager image ($ALERTMANAGER_IMG)"
AM="$P-am"
run "$AM" -p 127.0.0.1::9093 "$ALERTMANAGER_IMG"
aport="$(docker port "$AM" 9093/tcp | head -1 | sed 's/.*://')"
if wait_for 20 sh -c "curl -fsS http://127.0.0.1:$aport/-/ready | grep -qi ok"; then
  ok "http://127.0.0.1:$aport/-/ready answers (the image's own config and storage path)"
else fail "alertmanager: /-/ready never answered"; logs "$AM"; fi
auid="$(docker exec "$AM" sh -c 'grep ^Uid: /proc/1/status' | awk '{print $2}')"
[ "$auid" = 65534 ] && ok "alertmanager runs as nobody (65534)" || fail "alertmanager uid is '$auid', want 65534"
if docker exec "$AM" /bin/amtool check-config /etc/alertmanager/alertmanager.yml >/dev/null 2>&1; then
  ok "amtool in the image checks its config"
else fail "amtool check-config failed in the image"; fi
# An alert posted to its API is listed back (what the deployment's Prometheus does).
if curl -fsS -X POST -H 'Content-Type: application/json' -d '[{"labels":{"alertname":"ImageCheck"}}]' \
      "http://127.0.0.1:$aport/api/v2/alerts" >/dev/null \
   && wait_for 5 sh -c "curl -fsS http://127.0.0.1:$aport/api/v2/alerts | grep -q ImageCheck"; then
  ok "an alert posted to /api/v2/alerts is listed back"
else fail "alertmanager did not list a posted alert"; logs "$AM"; fi

# ---------------------------------------------------------------- sizes
echo "image sizes"
for i in "$REDIS_IMG" "$HAPROXY_IMG" "$EXPORTER_IMG" "$PROMETHEUS_IMG" "$ALERTMANAGER_IMG"; do
  printf '  %-36s %s\n' "$i" "$(docker image inspect -f '{{.Size}}' "$i" | awk '{printf "%.1f MB", $1/1e6}')"
done

if [ "$FAILED" = 0 ]; then echo "check-images: all checks passed"; else echo "check-images: FAILED"; exit 1; fi
