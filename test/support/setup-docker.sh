#!/usr/bin/env bash
# Prepare a Debian 12 machine (as root) for the docker-based tests, offline from any
# image registry: install the engine, compose v1 and the Debian packages whose binaries
# become our images, make sure dockerd runs, then build the local images.
# Idempotent: re-running only does what is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# dash and shellcheck: the container scripts' unit tests (dash is the Debian image's /bin/sh)
PKGS=(docker.io docker-compose busybox-static redis-server redis-sentinel redis-tools
      haproxy prometheus-redis-exporter prometheus prometheus-alertmanager shellcheck dash iproute2
      python3-redis libxml2-utils)
# services the packages above may start on install; they would squat 6379/26379/9121/9090/9093
SERVICES=(redis-server redis-sentinel haproxy prometheus-redis-exporter prometheus prometheus-alertmanager)
export DEBIAN_FRONTEND=noninteractive

[ "$(id -u)" = 0 ] || { echo "setup-docker: must run as root" >&2; exit 1; }

# ---------------------------------------------------------------- packages
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup-docker: installing ${missing[*]}"
  # policy-rc.d exit 101 = "do not start services from maintainer scripts"
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created_policy=1
  fi
  trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  trap - EXIT
  # Belt and braces: stop anything the packages did start anyway (no-op when not running).
  for s in "${SERVICES[@]}"; do
    # shellcheck disable=SC2015 # either may fail: nothing to stop is fine
    [ -x "/etc/init.d/$s" ] && service "$s" stop >/dev/null 2>&1 || true
  done
fi

# Nothing may listen on the redis ports our tests publish or expect free.
for port in 6379 26379; do
  pids="$(ss -Hltnp "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true)"
  for pid in $pids; do
    comm="$(cat "/proc/$pid/comm" 2>/dev/null || true)"
    case "$comm" in
      redis-server|redis-sentinel|redis-check-rdb)
        echo "setup-docker: stopping $comm (pid $pid) listening on :$port"; kill "$pid" || true ;;
      *) echo "setup-docker: warning: $comm (pid $pid) listens on :$port" >&2 ;;
    esac
  done
done

# ---------------------------------------------------------------- engine
if ! docker info >/dev/null 2>&1; then
  echo "setup-docker: starting dockerd (log: /tmp/dockerd.log)"
  # setsid+nohup: the daemon must outlive this script and its session
  setsid nohup dockerd --data-root /var/lib/docker >/tmp/dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    echo "setup-docker: dockerd did not come up within 60 s; last log lines:" >&2
    tail -n 30 /tmp/dockerd.log >&2 || true
    exit 1
  fi
fi

# ---------------------------------------------------------------- images
bash "$HERE/build-images.sh" "$@"

engine="$(docker version -f '{{.Server.Version}}')"
compose="$(docker-compose version --short 2>/dev/null || echo '?')"
images="$(docker images --format '{{.Repository}}:{{.Tag}}' 'redis-ha-local/*' | sort | paste -sd' ' -)"
echo "docker ready: engine ${engine%%+*}, compose v1 $compose, images: $images"
