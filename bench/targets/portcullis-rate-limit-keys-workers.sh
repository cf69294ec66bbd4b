#!/usr/bin/env bash
# Target: portcullis-rate-limit-workers.sh, but counted per client (limit_by header x-client, 10^9
# requests per second each) instead of per IP: bench/run.sh sends 1,000 clients' requests (KEYS),
# so the supervisor keeps 1,000 counts and each worker a lease per client, as with many consumers.
#   portcullis-rate-limit-keys-workers.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_TRAFFIC=rate-limit-keys PORTCULLIS_BENCH_WORKERS=2
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
