#!/usr/bin/env bash
# Target: Portcullis as in portcullis.sh (DB-less, no plugin) with --workers 2: a supervisor and two
# workers, all on the target's one core. The base that portcullis-rate-limit-workers is compared with.
#   portcullis-workers.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_WORKERS=2
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
