#!/usr/bin/env bash
# Target: Portcullis as in portcullis.sh (DB-less), with jwt on the route: RS256 tokens verified
# against a static public key (compiled once, kept in memory). Needs PORTCULLIS_BENCH_AUTH_DIR
# (bench/lib/auth-fixture.ts); clients send "Authorization: Bearer $(cat DIR/token.txt)".
#   portcullis-jwt.sh setup | version | start PORT UPSTREAM_HOST:PORT
set -euo pipefail
export PORTCULLIS_BENCH_AUTH=jwt
exec "$(dirname "${BASH_SOURCE[0]}")/portcullis.sh" "$@"
