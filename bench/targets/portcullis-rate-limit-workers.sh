#!/usr/bin/env bash
# Target: portcullis-rate-limit.sh (rate-limiting, backend local, limit_by ip, 10^9 requests per
# second) with --workers 2, all on the target's one core: the node's count lives in the supervisor,
# so this measures what counting across workers costs (IPC, and the leases that avoid most of it).
#   portcullis-rate-limit-workers.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_TRAFFIC=rate-limit PORTCULLIS_BENCH_WORKERS=2
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
