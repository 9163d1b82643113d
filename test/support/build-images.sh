#!/usr/bin/env bash
# Build local stand-ins for the official redis / haproxy / redis_exporter / prometheus /
# alertmanager images from Debian's binaries (no registry access needed), via `docker import`.
#
#   redis-ha-local/redis:7.0            ~ redis:7.4-alpine
#   redis-ha-local/haproxy:2.6          ~ haproxy:2.9-alpine
#   redis-ha-local/redis-exporter:1.45  ~ oliver006/redis_exporter
#   redis-ha-local/prometheus:2.42      ~ prom/prometheus
#   redis-ha-local/alertmanager:0.25    ~ prom/alertmanager
#
# Usage: build-images.sh [--force]
# Each image carries LABEL io.redis-ha.local-image-hash=<sha of inputs>; an image
# whose label matches is left alone unless --force is given.
set -euo pipefail

FORCE=0
for a in "$@"; do
  case "$a" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done

SELF="$(readlink -f "${BASH_SOURCE[0]}")"
SELF_SHA="$(sha256sum "$SELF" | cut -d' ' -f1)"
HASH_LABEL=io.redis-ha.local-image-hash
MULTIARCH="$(dirname "$(readlink -f /lib64/ld-linux-x86-64.so.2 2>/dev/null || echo /lib/x86_64-linux-gnu/x)")"
# getaddrinfo()/getpwnam() dlopen these; ldd does not list them.
NSS_LIBS=()
for l in libnss_dns.so.2 libnss_files.so.2 libresolv.so.2; do
  [ -e "$MULTIARCH/$l" ] && NSS_LIBS+=("$MULTIARCH/$l")
done

TMP_ROOT="$(mktemp -d /tmp/redis-ha-images.XXXXXX)"
trap 'rm -rf "$TMP_ROOT"' EXIT

need() { [ -e "$1" ] || { echo "build-images: missing $1 (run setup-docker.sh)" >&2; exit 1; }; }

# Shared libraries (and the dynamic loader) that ldd reports for the given binaries.
libs_of() {
  local b
  for b in "$@"; do
    ldd "$b" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]*ld-linux/{print $1}' || true
  done | sort -u
}

# Copy a host file to the same path inside the rootfs, dereferencing symlinks.
# (rm first: the destination may be a busybox applet symlink, which cp would follow)
put() { local root="$1" src="$2" dst="${3:-$2}"; mkdir -p "$root$(dirname "$dst")"; rm -f "$root$dst"; cp -L "$src" "$root$dst"; }

# Input hash: script + every host file that goes into the image + image name.
inputs_hash() {
  { echo "$SELF_SHA $1"; shift; for f in "$@"; do sha256sum "$(readlink -f "$f")"; done; } | sha256sum | cut -d' ' -f1
}

image_is_current() { # name hash
  local have
  have="$(docker image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true)"
  [ "$FORCE" = 0 ] && [ "$have" = "$2" ]
}

busybox_userland() { # root
  local root="$1" p
  put "$root" /bin/busybox
  # --list-full gives the canonical location of every applet (bin/sh, usr/bin/awk, sbin/...).
  for p in $(/bin/busybox --list-full); do
    [ "$p" = bin/busybox ] && continue
    mkdir -p "$root/$(dirname "$p")"
    ln -sf /bin/busybox "$root/$p"
  done
}

base_fs() { # root  -- dirs/files every image needs for name resolution
  local root="$1"
  mkdir -p "$root"/{etc,tmp,proc,sys,dev,lib64,"${MULTIARCH#/}"}
  chmod 1777 "$root/tmp"
  printf 'hosts: files dns\npasswd: files\ngroup: files\n' >"$root/etc/nsswitch.conf"
  : >"$root/etc/hosts"; : >"$root/etc/resolv.conf"   # docker bind-mounts over these
  local l; for l in "${NSS_LIBS[@]}"; do put "$root" "$l"; done
}

do_import() { # root name hash change...
  local root="$1" name="$2" hash="$3"; shift 3
  local args=() c stopsignal='' old_id
  old_id="$(docker image inspect -f '{{.Id}}' "$name" 2>/dev/null || true)"
  for c in "$@" "LABEL $HASH_LABEL=$hash"; do
    case "$c" in STOPSIGNAL\ *) stopsignal="${c#STOPSIGNAL }" ;; *) args+=(--change "$c") ;; esac
  done
  if [ -z "$stopsignal" ]; then
    tar --numeric-owner -C "$root" -cf - . | docker import "${args[@]}" - "$name" >/dev/null
  else
    # `docker import/commit --change` rejects STOPSIGNAL (engine 20.10): add it with a
    # one-line classic build on top of the imported image (FROM a local image needs no registry).
    local tmp="$name-import-$$"
    tar --numeric-owner -C "$root" -cf - . | docker import "${args[@]}" - "$tmp" >/dev/null
    local out
    out="$(printf 'FROM %s\nSTOPSIGNAL %s\n' "$tmp" "$stopsignal" \
      | DOCKER_BUILDKIT=0 docker build -q -t "$name" - 2>&1)" || { echo "$out" >&2; return 1; }
    docker rmi "$tmp" >/dev/null
  fi
  # drop the previous build (best effort: it may still be used by a container)
  if [ -n "$old_id" ] && [ "$old_id" != "$(docker image inspect -f '{{.Id}}' "$name")" ]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
  echo "build-images: built   $name ($(docker image inspect -f '{{.Size}}' "$name" | awk '{printf "%.1f MB", $1/1e6}'))"
}

# ---------------------------------------------------------------- redis
build_redis() {
  local name=redis-ha-local/redis:7.0
  # Debian ships one multi-call binary (redis-check-rdb); redis-server/-sentinel are symlinks to it.
  local redis_bin; redis_bin="$(readlink -f /usr/bin/redis-server)"
  local bins=("$redis_bin" /usr/bin/redis-cli /usr/bin/setpriv /bin/busybox)
  need "$redis_bin"; need /usr/bin/redis-cli; need /usr/bin/setpriv; need /bin/busybox
  mapfile -t libs < <(libs_of "${bins[@]}")
  local hash; hash="$(inputs_hash "$name" "${bins[@]}" "${libs[@]}" "${NSS_LIBS[@]}")"
  if image_is_current "$name" "$hash"; then echo "build-images: skipped $name (up to date)"; return; fi

  local root="$TMP_ROOT/redis"; base_fs "$root"; busybox_userland "$root"
  local l; for l in "${libs[@]}"; do put "$root" "$l"; done
  put "$root" "$redis_bin" /usr/local/bin/redis-server
  put "$root" /usr/bin/redis-cli /usr/local/bin/redis-cli
  # util-linux setpriv replaces the busybox applet of that name (busybox's setpriv cannot change uid; no su-exec/chpst in Debian's busybox)
  put "$root" /usr/bin/setpriv /usr/bin/setpriv
  rm -f "$root/bin/setpriv"
  for l in redis-sentinel redis-check-aof redis-check-rdb; do ln -s redis-server "$root/usr/local/bin/$l"; done
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/:/sbin/nologin
redis:x:999:1000:Linux User,,,:/home/redis:/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:root
nogroup:x:65534:
redis:x:1000:redis
EOF
  mkdir -p "$root/data" "$root/root" "$root/home/redis"
  chown 999:1000 "$root/data" "$root/home/redis"
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# Behaves like docker-library/redis docker-entrypoint.sh (su-exec replaced by setpriv).
set -e

# first arg is `-f` or `--some-option`, or first arg is `something.conf`
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

# allow the container to be started with `--user`
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
	find . \! -user redis -exec chown redis '{}' +
	# absolute path: busybox sh prefers its own applets over $PATH
	exec /usr/bin/setpriv --reuid=redis --regid=redis --init-groups "$0" "$@"
fi

# The official image patches redis so protected-mode defaults to "no"; Debian's binary
# defaults to "yes", so pass it explicitly unless a config file / the args set it,
# or this is a sentinel (which disables protected mode itself).
if [ "$1" = 'redis-server' ]; then
	pm=1
	case " $* " in *" --protected-mode "*|*" --sentinel "*) pm= ;; esac
	if [ -n "$pm" ] && [ -f "${2:-}" ] && grep -qi '^[[:space:]]*protected-mode' "$2"; then pm=; fi
	if [ -n "$pm" ]; then
		if [ -f "${2:-}" ]; then
			cfg="$2"; shift 2; set -- redis-server "$cfg" --protected-mode no "$@"
		else
			shift; set -- redis-server --protected-mode no "$@"
		fi
	fi
fi

# set an appropriate umask (if one isn't set already)
um="$(umask)"
if [ "$um" = '0022' ]; then
	umask 0077
fi

exec "$@"
EOF
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
  do_import "$root" "$name" "$hash" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'VOLUME /data' 'WORKDIR /data' 'EXPOSE 6379' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["redis-server"]'
}

# ---------------------------------------------------------------- haproxy
build_haproxy() {
  local name=redis-ha-local/haproxy:2.6
  local bins=(/usr/sbin/haproxy /bin/busybox)
  need /usr/sbin/haproxy; need /bin/busybox
  mapfile -t libs < <(libs_of "${bins[@]}")
  local hash; hash="$(inputs_hash "$name" "${bins[@]}" "${libs[@]}" "${NSS_LIBS[@]}")"
  if image_is_current "$name" "$hash"; then echo "build-images: skipped $name (up to date)"; return; fi

  local root="$TMP_ROOT/haproxy"; base_fs "$root"; busybox_userland "$root"
  local l; for l in "${libs[@]}"; do put "$root" "$l"; done
  put "$root" /usr/sbin/haproxy /usr/local/sbin/haproxy
  mkdir -p "$root/usr/sbin"; ln -sf /usr/local/sbin/haproxy "$root/usr/sbin/haproxy"
  mkdir -p "$root/usr/local/etc/haproxy" "$root/var/lib/haproxy" "$root/run" "$root/root"
  chown 99:99 "$root/var/lib/haproxy"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/:/sbin/nologin
haproxy:x:99:99:haproxy:/var/lib/haproxy:/sbin/nologin
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:root
nogroup:x:65534:
haproxy:x:99:haproxy
EOF
  mkdir -p "$root/usr/local/bin"
  cat >"$root/usr/local/bin/docker-entrypoint.sh" <<'EOF'
#!/bin/sh
# Same as docker-library/haproxy docker-entrypoint.sh.
set -e

# first arg is `-f` or `--some-option`
if [ "${1#-}" != "$1" ]; then
	set -- haproxy "$@"
fi

if [ "$1" = 'haproxy' ]; then
	shift # "haproxy"
	# -W: master-worker mode (reload with SIGUSR2), -db: stay in foreground
	set -- haproxy -W -db "$@"
fi

exec "$@"
EOF
  chmod 755 "$root/usr/local/bin/docker-entrypoint.sh"
  do_import "$root" "$name" "$hash" \
    'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    'WORKDIR /var/lib/haproxy' 'USER haproxy' 'STOPSIGNAL SIGUSR1' \
    'ENTRYPOINT ["docker-entrypoint.sh"]' 'CMD ["haproxy","-f","/usr/local/etc/haproxy/haproxy.cfg"]'
}

# ---------------------------------------------------------------- redis_exporter
build_exporter() {
  local name=redis-ha-local/redis-exporter:1.45
  local bin=/usr/bin/prometheus-redis-exporter
  need "$bin"
  mapfile -t libs < <(libs_of "$bin")   # Debian's build is dynamic (cgo): libc + loader
  local hash; hash="$(inputs_hash "$name" "$bin" "${libs[@]}" "${NSS_LIBS[@]}")"
  if image_is_current "$name" "$hash"; then echo "build-images: skipped $name (up to date)"; return; fi

  local root="$TMP_ROOT/exporter"; base_fs "$root"
  local l; for l in "${libs[@]}"; do put "$root" "$l"; done
  put "$root" "$bin" /redis_exporter
  [ -e /etc/ssl/certs/ca-certificates.crt ] && put "$root" /etc/ssl/certs/ca-certificates.crt
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/:/sbin/nologin
exporter:x:59000:59000:exporter:/:/sbin/nologin
EOF
  printf 'root:x:0:\nnogroup:x:65534:\nexporter:x:59000:\n' >"$root/etc/group"
  do_import "$root" "$name" "$hash" \
    'USER 59000:59000' 'EXPOSE 9121' 'ENTRYPOINT ["/redis_exporter"]'
}

# ---------------------------------------------------------------- prometheus
# prom/prometheus's contract (its Dockerfile): /bin/prometheus and /bin/promtool on a busybox
# userland, USER nobody, WORKDIR and VOLUME /prometheus (owned by nobody), the config in
# /etc/prometheus, ENTRYPOINT /bin/prometheus with the config file and TSDB path as CMD.
build_prometheus() {
  local name=redis-ha-local/prometheus:2.42
  local bins=(/usr/bin/prometheus /usr/bin/promtool /bin/busybox)
  need /usr/bin/prometheus; need /usr/bin/promtool; need /bin/busybox
  mapfile -t libs < <(libs_of "${bins[@]}")
  local hash; hash="$(inputs_hash "$name" "${bins[@]}" "${libs[@]}" "${NSS_LIBS[@]}")"
  if image_is_current "$name" "$hash"; then echo "build-images: skipped $name (up to date)"; return; fi

  local root="$TMP_ROOT/prometheus"; base_fs "$root"; busybox_userland "$root"
  local l; for l in "${libs[@]}"; do put "$root" "$l"; done
  put "$root" /usr/bin/prometheus /bin/prometheus
  put "$root" /usr/bin/promtool /bin/promtool
  # Debian's build serves its web UI from /usr/share/prometheus/web, whose links pull in 220 MB
  # of Debian's JavaScript packages; left out: the tests read the HTTP API, which needs none.
  mkdir -p "$root/etc/prometheus" "$root/prometheus"
  printf 'global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ["localhost:9090"]\n' >"$root/etc/prometheus/prometheus.yml"
  chown -R 65534:65534 "$root/etc/prometheus" "$root/prometheus"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  do_import "$root" "$name" "$hash" \
    'USER nobody' 'EXPOSE 9090' 'VOLUME /prometheus' 'WORKDIR /prometheus' \
    'ENTRYPOINT ["/bin/prometheus"]' 'CMD ["--config.file=/etc/prometheus/prometheus.yml","--storage.tsdb.path=/prometheus"]'
}

# ---------------------------------------------------------------- alertmanager
# prom/alertmanager's contract (its Dockerfile): /bin/alertmanager and /bin/amtool on a busybox
# userland, USER nobody, WORKDIR and VOLUME /alertmanager (owned by nobody), the config in
# /etc/alertmanager, ENTRYPOINT /bin/alertmanager with the config file and storage path as CMD.
build_alertmanager() {
  local name=redis-ha-local/alertmanager:0.25
  # Debian's build reads its notification templates (and the page it serves without a web UI)
  # from /usr/share/prometheus/alertmanager; upstream's carries them in the binary.
  local share=/usr/share/prometheus/alertmanager
  local bins=(/usr/bin/prometheus-alertmanager /usr/bin/amtool /bin/busybox)
  local data=("$share/default.tmpl" "$share/email.tmpl" "$share/no-ui/index.html" "$share/no-ui/favicon.ico")
  local f; for f in "${bins[@]}" "${data[@]}"; do need "$f"; done
  mapfile -t libs < <(libs_of "${bins[@]}")
  local hash; hash="$(inputs_hash "$name" "${bins[@]}" "${data[@]}" "${libs[@]}" "${NSS_LIBS[@]}")"
  if image_is_current "$name" "$hash"; then echo "build-images: skipped $name (up to date)"; return; fi

  local root="$TMP_ROOT/alertmanager"; base_fs "$root"; busybox_userland "$root"
  local l; for l in "${libs[@]}"; do put "$root" "$l"; done
  put "$root" /usr/bin/prometheus-alertmanager /bin/alertmanager
  put "$root" /usr/bin/amtool /bin/amtool
  for f in "${data[@]}"; do put "$root" "$f"; done
  mkdir -p "$root/etc/alertmanager" "$root/alertmanager"
  # One route to a receiver without integrations: it sends nothing anywhere.
  printf 'route:\n  receiver: none\nreceivers:\n  - name: none\n' >"$root/etc/alertmanager/alertmanager.yml"
  chown -R 65534:65534 "$root/etc/alertmanager" "$root/alertmanager"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  do_import "$root" "$name" "$hash" \
    'USER nobody' 'EXPOSE 9093' 'VOLUME /alertmanager' 'WORKDIR /alertmanager' \
    'ENTRYPOINT ["/bin/alertmanager"]' 'CMD ["--config.file=/etc/alertmanager/alertmanager.yml","--storage.path=/alertmanager"]'
}

docker info >/dev/null 2>&1 || { echo "build-images: docker engine not reachable" >&2; exit 1; }
build_redis
build_haproxy
build_exporter
build_prometheus
build_alertmanager
