#!/usr/bin/env bash
# Target: Portcullis as in portcullis.sh (DB-less), with rate-limiting on the route: backend local
# (counted in this process), limit_by ip, 1,000,000,000 requests per second, so every request is
# counted and allowed: the cost of counting.
#   portcullis-rate-limit.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_TRAFFIC=rate-limit
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
