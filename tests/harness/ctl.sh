#!/usr/bin/env bash
# ctl.sh: the harness's server controls as a command, for C tests (system()).
#   tests/harness/ctl.sh pg-restart|pg-stop|pg-start|pgb-kill|pgb-start   (uses STACK_DIR etc. from env)
set -u
. "$(dirname "$0")/stack.sh"
case "${1:-}" in
  pg-restart) stack_pg_restart ;;
  pg-stop) stack_pg_stop ;;
  pg-start) stack_pg_start ;;
  pgb-kill) stack_pgb_kill ;;
  pgb-start) stack_pgb_start ;;
  *) echo "usage: $0 pg-restart|pg-stop|pg-start|pgb-kill|pgb-start" >&2; exit 2 ;;
esac
