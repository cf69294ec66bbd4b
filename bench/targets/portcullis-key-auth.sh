#!/usr/bin/env bash
# Target: Portcullis as in portcullis.sh, with key-auth on the route: store mode (SQLite), the
# consumer "bench" and its API key seeded into the store before the start. Needs
# PORTCULLIS_BENCH_AUTH_DIR (bench/lib/auth-fixture.ts); clients send "apikey: $(cat DIR/apikey.txt)".
#   portcullis-key-auth.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_AUTH=key-auth
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
