#!/bin/sh
# redis-ha: starts HAProxy. haproxy.cfg names its passwords by placeholder (@@health@@,
# @@haproxy-stats@@); this fills them in from /run/secrets/<name> into a private copy on
# the container's tmpfs, so no password is in the rendered file, in the environment or on
# a command line (awk reads the secret files itself).
set -eu
umask 077
rendered=/usr/local/etc/haproxy/haproxy.cfg
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
mv "$live.tmp" "$live"
# With TLS: HAProxy reads its certificate and key from one file (bind ... ssl crt), on the
# tmpfs like the config, readable by this user only (umask 077).
if [ -e /run/secrets/tls-haproxy.crt ]; then
  cat /run/secrets/tls-haproxy.crt /run/secrets/tls-haproxy.key >/tmp/haproxy.pem.tmp
  mv /tmp/haproxy.pem.tmp /tmp/haproxy.pem
fi
exec docker-entrypoint.sh haproxy -f "$live"
