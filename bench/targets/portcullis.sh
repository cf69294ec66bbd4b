#!/usr/bin/env bash
# Target: Portcullis, one process (--workers 1, unless PORTCULLIS_BENCH_WORKERS says otherwise)
# proxying everything to the upstream.
# Follows the target contract of the shared harness (../shared/bench/README.md, "Adding a
# target") and is also what bench/run.sh starts:
#   portcullis.sh setup | version | start PORT UPSTREAM_HOST:PORT
# Environment: PROJECT (repo root; default: two levels above this script), GWB_WORK (scratch
# directory for this target; the harness provides it), ADMIN_PORT (default PORT+1000),
# PORTCULLIS_BENCH_ACCESS_LOG=true (access log on, stdout to $GWB_WORK/logs/access.log; that is
# what portcullis-log.sh sets),
# PORTCULLIS_BENCH_AUTH=key-auth|jwt (one auth plugin on the route; what portcullis-key-auth.sh
# and portcullis-jwt.sh set) with PORTCULLIS_BENCH_AUTH_DIR = the credentials written by
# bench/lib/auth-fixture.ts (public.pem, token.txt, apikey.txt):
#   jwt       DB-less as without auth (--config); the route verifies RS256 tokens of issuer
#             https://bench.portcullis.test against public.pem, a static key compiled once
#             (the "cached key" case); the consumer "bench" is named by the token's sub.
#   key-auth  store mode (--db sqlite:$GWB_WORK/portcullis.db): API keys live only in the store,
#             so the config and the key of apikey.txt are seeded into it by
#             bench/lib/seed-key-auth.ts before the gateway starts.
# The client must then send the credential (apikey: KEY or Authorization: Bearer TOKEN).
# PORTCULLIS_BENCH_HTTP_ENGINE=node|fast (gateway.http_engine; unset: the default, fast; what
# portcullis-node-engine.sh and portcullis-cache-node-engine.sh set to node),
# PORTCULLIS_BENCH_WORKERS=N (--workers N; default 1; portcullis-workers.sh and
# portcullis-rate-limit-workers.sh set 2: the supervisor and both workers then share the target's
# one core, so their CPU per request, summed, is what the node pays for the IPC between them),
# PORTCULLIS_BENCH_TRAFFIC=rate-limit|rate-limit-keys|rate-limit-redis|cache (one traffic-control plugin on the
# route; what portcullis-rate-limit.sh, portcullis-rate-limit-redis.sh and portcullis-cache.sh set):
#   rate-limit        rate-limiting, backend local (counted in this process), limit_by ip, one
#                     window of 1,000,000,000 requests per second: every request is counted, none
#                     is refused (the cost of counting, not of refusing).
#   rate-limit-keys   the same as rate-limit, but limit_by header x-client: one count per client
#                     (bench/run.sh then sends 1,000 different x-client values, KEYS).
#   rate-limit-redis  the same with backend redis on PORTCULLIS_BENCH_REDIS_URL (gateway.redis):
#                     one Lua script round trip to Redis per request.
#   cache             proxy-cache, memory backend, defaults otherwise. It stores only what the
#                     upstream marks cacheable: point it at an upstream that sends Cache-Control
#                     (bench/run.sh gives it a port of the upstream nginx that adds
#                     "Cache-Control: public, max-age=3600"); then every request after the first
#                     of each path is a hit and the upstream is not contacted.
set -euo pipefail

PROJECT=${PROJECT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
NODE=$PROJECT/node_modules/.bin/node   # the project's pinned Node 24 (devDependency "node")
ACCESS_LOG=${PORTCULLIS_BENCH_ACCESS_LOG:-false}
AUTH=${PORTCULLIS_BENCH_AUTH:-}
AUTH_DIR=${PORTCULLIS_BENCH_AUTH_DIR:-}
TRAFFIC=${PORTCULLIS_BENCH_TRAFFIC:-}
REDIS_URL=${PORTCULLIS_BENCH_REDIS_URL:-}
HTTP_ENGINE=${PORTCULLIS_BENCH_HTTP_ENGINE:-}
WORKERS=${PORTCULLIS_BENCH_WORKERS:-1}

fail() { echo "portcullis target: $*" >&2; exit 1; }

check() {
  [[ -f $PROJECT/bin/portcullis.ts ]] || fail "no $PROJECT/bin/portcullis.ts (PROJECT=$PROJECT)"
  [[ -x $NODE ]] || fail "no $NODE: run 'npm ci' in $PROJECT"
  local major
  major=$("$NODE" -p 'process.versions.node.split(".")[0]')
  ((major >= 24)) || fail "$NODE is Node $major; Portcullis needs Node >= 24"
  case $AUTH in
    '') ;;
    key-auth | jwt)
      [[ -n $AUTH_DIR ]] || fail "PORTCULLIS_BENCH_AUTH=$AUTH needs PORTCULLIS_BENCH_AUTH_DIR (made by: node bench/lib/auth-fixture.ts DIR)"
      local f
      for f in public.pem token.txt apikey.txt; do
        [[ -s $AUTH_DIR/$f ]] || fail "no $AUTH_DIR/$f (make it with: node bench/lib/auth-fixture.ts $AUTH_DIR)"
      done ;;
    *) fail "PORTCULLIS_BENCH_AUTH must be key-auth or jwt, not '$AUTH'" ;;
  esac
  [[ $WORKERS =~ ^[1-9][0-9]*$ ]] || fail "PORTCULLIS_BENCH_WORKERS must be a positive integer, not '$WORKERS'"
  case $TRAFFIC in
    '' | rate-limit | rate-limit-keys | cache) ;;
    rate-limit-redis)
      [[ $REDIS_URL == redis://* ]] || fail "PORTCULLIS_BENCH_TRAFFIC=rate-limit-redis needs PORTCULLIS_BENCH_REDIS_URL=redis://127.0.0.1:PORT (a Redis of its own)" ;;
    *) fail "PORTCULLIS_BENCH_TRAFFIC must be rate-limit, rate-limit-keys, rate-limit-redis or cache, not '$TRAFFIC'" ;;
  esac
}

# The route's plugins (YAML, indented for the route), per PORTCULLIS_BENCH_AUTH and
# PORTCULLIS_BENCH_TRAFFIC.
route_plugins() {
  [[ -z $AUTH && -z $TRAFFIC ]] || printf '    plugins:\n'
  case $AUTH in
    key-auth)
      printf '      - name: key-auth\n        config: {}\n' ;;
    jwt)
      printf '      - name: jwt\n        config:\n          issuers:\n'
      printf '            - issuer: "https://bench.portcullis.test"\n              algorithms: [RS256]\n              keys:\n                - |\n'
      sed 's/^/                  /' "$AUTH_DIR/public.pem" ;;
  esac
  case $TRAFFIC in
    rate-limit | rate-limit-keys | rate-limit-redis)
      printf '      - name: rate-limiting\n        config:\n'
      printf '          limits: [{ window: second, limit: 1000000000 }]\n'
      if [[ $TRAFFIC == rate-limit-keys ]]; then printf '          limit_by: header\n          header_name: x-client\n'; else printf '          limit_by: ip\n'; fi
      printf '          backend: %s\n' "$([[ $TRAFFIC == rate-limit-redis ]] && echo redis || echo local)" ;;
    cache)
      printf '      - name: proxy-cache\n        config: { backend: memory }\n' ;;
  esac
}

case ${1:-} in
  setup) check ;;
  version)
    rev=$(git -C "$PROJECT" rev-parse --short HEAD 2>/dev/null || true)
    note=
    if [[ $ACCESS_LOG == true ]]; then note=', access log on'; fi
    if [[ -n $HTTP_ENGINE ]]; then note+=", http_engine $HTTP_ENGINE"; fi
    if [[ $WORKERS != 1 ]]; then note+=", --workers $WORKERS"; fi
    case $AUTH in
      key-auth) note+=', key-auth on the route (store mode, SQLite)' ;;
      jwt) note+=', jwt RS256 on the route (static key)' ;;
    esac
    case $TRAFFIC in
      rate-limit) note+=', rate-limiting on the route (local, 10^9/s per IP)' ;;
      rate-limit-keys) note+=', rate-limiting on the route (local, 10^9/s per x-client header value)' ;;
      rate-limit-redis) note+=", rate-limiting on the route (Redis $(redis-server --version 2>/dev/null | sed -n 's/.* v=\([^ ]*\).*/\1/p'), 10^9/s per IP)" ;;
      cache) note+=', proxy-cache on the route (memory)' ;;
    esac
    printf 'portcullis %s%s node@%s%s\n' \
      "$("$NODE" -p "require(process.argv[1]).version" "$PROJECT/package.json")" "${rev:+ ($rev)}" \
      "$("$NODE" -p process.versions.node)" "$note" ;;
  start)
    [[ $# -eq 3 ]] || fail "usage: $0 start PORT UPSTREAM_HOST:PORT"
    check
    port=$2 upstream=$3
    work=${GWB_WORK:-/tmp/portcullis-bench/work/portcullis-$port}
    admin_port=${ADMIN_PORT:-$((port + 1000))}
    # The config directory is watched for changes: keep the access log out of it.
    mkdir -p "$work/conf" "$work/logs"
    consumers=
    if [[ -n $AUTH ]]; then consumers=$'consumers:\n  - name: bench\n'; fi
    redis=
    if [[ $TRAFFIC == rate-limit-redis ]]; then redis="  redis: { url: \"$REDIS_URL\" }"; fi
    cat >"$work/conf/portcullis.yaml" <<YAML
# generated by bench/targets/portcullis.sh
gateway:
  access_log: $ACCESS_LOG
${HTTP_ENGINE:+  http_engine: $HTTP_ENGINE
}$redis
services:
  - name: upstream
    targets: [{ url: "http://$upstream" }]
${consumers}routes:
  - name: all
    service: upstream
    paths: ["/"]
$(route_plugins)
YAML
    source_args=(--config "$work/conf/portcullis.yaml")
    if [[ $AUTH == key-auth ]]; then
      # Store mode: a fresh SQLite store, seeded (config + the API key) before the gateway starts.
      rm -rf "$work/portcullis.db" "$work/portcullis.db-wal" "$work/portcullis.db-shm" "$work/state"
      "$NODE" "$PROJECT/bench/lib/seed-key-auth.ts" "sqlite:$work/portcullis.db" "$work/conf/portcullis.yaml" "$AUTH_DIR/apikey.txt" >&2 ||
        fail "seeding the store failed"
      source_args=(--db "sqlite:$work/portcullis.db" --state-dir "$work/state")
      # The first start in store mode creates an admin user; with a token given, none is printed.
      export PORTCULLIS_ADMIN_TOKEN=${PORTCULLIS_ADMIN_TOKEN:-bench-admin-token-not-secret-0123456789}
    fi
    # Stdout carries the JSON logs (including one access-log line per request when on).
    if [[ $ACCESS_LOG == true ]]; then exec >"$work/logs/access.log"; fi
    cd "$PROJECT"
    exec "$NODE" bin/portcullis.ts start "${source_args[@]}" \
      --port "$port" --admin-port "$admin_port" --host 127.0.0.1 --workers "$WORKERS" ;;
  *) echo "usage: $0 setup|version|start PORT UPSTREAM_HOST:PORT" >&2; exit 2 ;;
esac
