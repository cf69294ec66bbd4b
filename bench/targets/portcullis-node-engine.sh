#!/usr/bin/env bash
# Target: Portcullis as in portcullis.sh, with gateway.http_engine: node (node:http reads every
# request; the default is the fast lane, docs/proxying.md#http-engine): what the fast lane gains.
#   portcullis-node-engine.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_HTTP_ENGINE=node
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
