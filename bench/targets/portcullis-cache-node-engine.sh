#!/usr/bin/env bash
# Target: portcullis-cache (proxy-cache on the route, every request a hit) with
# gateway.http_engine: node: the cache hit without the fast lane.
#   portcullis-cache-node-engine.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_HTTP_ENGINE=node PORTCULLIS_BENCH_TRAFFIC=cache
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
