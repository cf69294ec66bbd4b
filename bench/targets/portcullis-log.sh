#!/usr/bin/env bash
# Target: Portcullis as in portcullis.sh, with the access log on and stdout (the JSON log lines)
# going to $GWB_WORK/logs/access.log: the cost of access logging.
#   portcullis-log.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_ACCESS_LOG=true
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
