#!/usr/bin/env bash
# port.sh: a TCP port for a test server, reserved with a lock (as pgbouncer's test PortLock
# does) instead of bind-then-close, which races: between the probe's close and the server's
# bind, anyone asking the kernel for a free port may be handed the same one.
#   port_lock VAR   sets VAR to a port in [20000, 32000) that this shell holds a lock on
# The range sits below the kernel's ephemeral range (net.ipv4.ip_local_port_range, 32768 and
# up by default), so no bind(0) or outgoing connection is ever given one of these ports; among
# the ports in it, the flock on /tmp/aam-ports/<port> keeps every test run (any user) apart.
# The lock is an open file descriptor of this shell, inherited by the servers it starts: it is
# released when the last of them exits, so a port is never handed out while it is still in use.

PORT_LOCK_DIR=${PORT_LOCK_DIR:-/tmp/aam-ports}
PORT_LOCK_LOW=20000
PORT_LOCK_SPAN=12000

port__bindable() {  # port: 0 when nothing listens on 127.0.0.1:port (a listener outside our locks)
  python3 -c 'import socket,sys; s=socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$1" 2>/dev/null
}

port_lock() {  # VAR
  local try p f fd
  [ -d "$PORT_LOCK_DIR" ] || mkdir -m 1777 "$PORT_LOCK_DIR" 2>/dev/null || [ -d "$PORT_LOCK_DIR" ] || return 1
  for try in $(seq 200); do
    p=$((PORT_LOCK_LOW + (RANDOM * 32768 + RANDOM) % PORT_LOCK_SPAN))
    f=$PORT_LOCK_DIR/$p
    [ -e "$f" ] || { : >>"$f" && chmod 666 "$f"; } 2>/dev/null
    exec {fd}<"$f" || continue
    if flock -n "$fd" && port__bindable "$p"; then
      printf -v "$1" '%s' "$p"
      return 0
    fi
    exec {fd}<&-
  done
  echo "port_lock: no free port after $try tries" >&2
  return 1
}
