#!/usr/bin/env bash
# Target: Portcullis as in portcullis-rate-limit.sh, counting on Redis (backend redis,
# gateway.redis = PORTCULLIS_BENCH_REDIS_URL, e.g. redis://127.0.0.1:18278): one Lua script round
# trip per request. Needs a Redis of its own (bench/run.sh starts one; the shared harness does not).
#   portcullis-rate-limit-redis.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_TRAFFIC=rate-limit-redis
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
