#!/bin/sh
# redis-ha: starts HAProxy. haproxy.cfg names its passwords by placeholder (@@health@@,
# @@haproxy-stats@@); this fills them in from /run/secrets/<name> into a private copy on
# the container's tmpfs, so no password is in the rendered file, in the environment or on
# a command line (awk reads the secret files itself).
# `haproxy-start.sh reload` (run by `redis-ha rotate-secrets` through docker exec) fills the
# copy again from the secrets as they are now, checks it, and has the running HAProxy reload
# it: the master (PID 1, master-worker mode: the image's entrypoint passes -W) starts new
# workers with it; the old ones keep serving their open connections until they close, so no
# client connection is cut.
set -eu
umask 077
# The directory is mounted (not the file): a reload reads what render wrote last.
rendered=/usr/local/etc/redis-ha/haproxy/haproxy.cfg
live=/tmp/haproxy.cfg
awk -v dir=/run/secrets '
  {
    while (match($0, /@@[a-z-]+@@/)) {
      f = dir "/" substr($0, RSTART + 2, RLENGTH - 4)
      if ((getline pw < f) <= 0) { print "redis-ha: cannot read " f > "/dev/stderr"; exit 1 }
      close(f)
      $0 = substr($0, 1, RSTART - 1) pw substr($0, RSTART + RLENGTH)
    }
    print
  }' "$rendered" >"$live.tmp"
# With TLS: HAProxy reads its certificate and key from one file (bind ... ssl crt), on the
# tmpfs like the config, readable by this user only (umask 077). Joined in every mode, before
# the check of a reload: the config names it, and a reload then serves the mounted pair.
if [ -e /run/secrets/tls-haproxy.crt ]; then
  cat /run/secrets/tls-haproxy.crt /run/secrets/tls-haproxy.key >/tmp/haproxy.pem.tmp
  mv /tmp/haproxy.pem.tmp /tmp/haproxy.pem
fi
if [ "${1:-}" = reload ]; then
  haproxy -q -c -f "$live.tmp"
  mv "$live.tmp" "$live"
  kill -USR2 1
  echo "redis-ha: HAProxy reloads $live"
  exit 0
fi
mv "$live.tmp" "$live"
# --render-only: a rolling deploy refreshes the copy, then reloads HAProxy (SIGUSR2).
[ "${1:-}" = --render-only ] && exit 0
exec docker-entrypoint.sh haproxy -f "$live"
