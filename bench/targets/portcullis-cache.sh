#!/usr/bin/env bash
# Target: Portcullis as in portcullis.sh (DB-less), with proxy-cache (memory backend) on the route.
# Responses are stored only if the upstream marks them cacheable: bench/run.sh points this target
# at a port of the upstream nginx that adds "Cache-Control: public, max-age=3600", so after the
# first request of each path every request is a hit that never reaches the upstream.
#   portcullis-cache.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_TRAFFIC=cache
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
