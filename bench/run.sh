#!/usr/bin/env bash
# Portcullis end-to-end benchmark (`npm run bench`). See bench/README.md.
#
#   bench/run.sh              direct, nginx, portcullis and portcullis with key-auth / jwt on /json
#                             and /big (about 6 minutes)
#   bench/run.sh --shared     the shared harness (../shared/bench) with direct, nginx,
#                             node-undici and bench/targets/portcullis.sh (about 10 minutes)
#   bench/run.sh --help
#
# Needs wrk, nginx, curl and taskset (apt-get install -y wrk nginx) and the project's Node
# (npm ci). Starts, all on 127.0.0.1 and pinned with taskset:
#   core 0 (LOADGEN_CPUS, UPSTREAM_CPUS): wrk and the upstream nginx (1 worker; /json = 200-byte
#          JSON from `return 200`, /big = 65,536-byte static JSON file; keep-alive)
#   core 1 (TARGET_CPUS): the targets, one at a time under load: "direct" (a copy of the
#          upstream nginx: the no-proxy ceiling), "nginx" (reverse proxy, 1 worker, upstream
#          keep-alive), "portcullis" (one process, --workers 1), and "portcullis-key-auth" /
#          "portcullis-jwt": the same with key-auth (API key in the store) or jwt (RS256, static
#          key) on the route; wrk then sends a valid credential with every request;
#          optionally "portcullis-rate-limit" / "portcullis-rate-limit-redis" (rate-limiting,
#          counted in process or on Redis) and "portcullis-cache" (proxy-cache, memory)
#   core 0 also runs, when portcullis-rate-limit-redis is listed, a private redis-server, and the
#          upstream nginx then also listens on a second port that adds "Cache-Control: public,
#          max-age=3600" (the upstream of portcullis-cache only)
# then per round (interleaved: direct, nginx, portcullis, direct, ...): warm-up, wrk -t2 -c50
# on /json and on /big, and a fixed 1,000 req/s run on /json. Writes bench/results/latest.md
# and bench/results/latest.json; scratch files (configs, logs, wrk output) in /tmp/portcullis-bench.
#
# Settings (environment, defaults shown):
#   ROUNDS=2 PRIME=5 WARMUP=3 DURATION=10 RATE=1000 RATE_DURATION=5 (RATE=0: no fixed-rate run)
#   CONNS=50 THREADS=2 TARGETS="direct nginx portcullis portcullis-key-auth portcullis-jwt"
#     (also: portcullis-log = access log on; portcullis-rate-limit, portcullis-rate-limit-redis,
#     portcullis-cache = the traffic-control plugins; all three: about 4 minutes more; node-http =
#     node:http answering a cache hit's response from memory, the floor under the cache bar for a
#     node:http server; node-net = the same on bare node:net (one read, one write), the floor under
#     any Node.js server;
#     portcullis-node-engine and portcullis-cache-node-engine = portcullis and portcullis-cache
#     with gateway.http_engine: node instead of the fast lane, to show what the fast lane gains;
#     portcullis-workers, portcullis-rate-limit-workers = portcullis and portcullis-rate-limit with
#     --workers 2; portcullis-rate-limit-keys-workers = the latter counted per x-client header)
#   KEYS=0 (1000 when portcullis-rate-limit-keys-workers is listed): requests carry one of KEYS
#     "x-client" values at random, to every target of the run
#   LOADGEN_CPUS=0 UPSTREAM_CPUS=0 TARGET_CPUS=1 BASE_PORT=18280 QUIET_PCT=15 QUIET_WAIT=15
#   SCRATCH=/tmp/portcullis-bench RESULTS_DIR=bench/results SHARED_BENCH=../shared/bench
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case ${1:-} in
  -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
  --shared)
    shift
    shared=${SHARED_BENCH:-../shared/bench}
    [[ $shared == /* ]] || shared=$ROOT/$shared
    [[ -x $shared/run.sh ]] || die "no shared harness at $shared/run.sh (set SHARED_BENCH to its directory)"
    (($#)) || set -- direct nginx node-undici "$BENCH/targets/portcullis.sh"
    cd "$ROOT"
    if [[ -z ${RESULTS_DIR:-} ]]; then
      RESULTS_DIR=bench/results/shared
      rm -rf -- "$ROOT/bench/results/shared"   # generated output of the previous --shared run
    fi
    log "running $shared/run.sh $* (results: $RESULTS_DIR)"
    PROJECT=$ROOT RESULTS_DIR=$RESULTS_DIR exec "$shared/run.sh" "$@" ;;
  "") ;;
  *) die "unknown argument '$1' (bench/run.sh --help)" ;;
esac

# --- settings -------------------------------------------------------------------------------
ROUNDS=${ROUNDS:-2}
PRIME=${PRIME:-5}
WARMUP=${WARMUP:-3}
DURATION=${DURATION:-10}
RATE=${RATE:-1000}
RATE_DURATION=${RATE_DURATION:-5}
RATE_PATH=/json
CONNS=${CONNS:-50}
THREADS=${THREADS:-2}
WRK_TIMEOUT=${WRK_TIMEOUT:-5s}
read -ra TARGETS <<<"${TARGETS:-direct nginx portcullis portcullis-key-auth portcullis-jwt}"
# KEYS > 0: every request (of every target, so that all see the same requests) carries one of KEYS
# x-client values, at random; portcullis-rate-limit-keys-workers counts per value (1,000 by default).
KEYS=${KEYS:-}
[[ -n $KEYS || " ${TARGETS[*]} " != *" portcullis-rate-limit-keys-workers "* ]] || KEYS=1000
KEYS=${KEYS:-0}
[[ $KEYS =~ ^[0-9]+$ ]] || die "KEYS must be a number, not '$KEYS'"
LOADGEN_CPUS=${LOADGEN_CPUS:-0}
UPSTREAM_CPUS=${UPSTREAM_CPUS:-0}
TARGET_CPUS=${TARGET_CPUS:-1}
BASE_PORT=${BASE_PORT:-18280}
QUIET_PCT=${QUIET_PCT:-15}     # before each target's block: wait while the machine's CPU use
QUIET_WAIT=${QUIET_WAIT:-15}   # (our processes idle) exceeds QUIET_PCT % of a core, at most QUIET_WAIT s
SCRATCH=${SCRATCH:-/tmp/portcullis-bench}
RESULTS_DIR=${RESULTS_DIR:-$BENCH/results}
PATHS=(/json /big)
JSON_BYTES=200
BIG_BYTES=65536

UP_PORT=$BASE_PORT
UP_STATUS_PORT=$((BASE_PORT - 1))
declare -A PORT_OF
i=0
# Used only when the target that needs them is listed: Redis for portcullis-rate-limit-redis, and
# a second upstream port (same nginx) that marks its responses cacheable for portcullis-cache
# (and for node-http and node-net, which serve what a hit of portcullis-cache sends).
REDIS_PORT=$((BASE_PORT - 2))
UP_CACHE_PORT=$((BASE_PORT - 3))
PORTCULLIS_TARGETS="portcullis portcullis-node-engine portcullis-log portcullis-key-auth portcullis-jwt portcullis-rate-limit portcullis-rate-limit-redis portcullis-cache portcullis-cache-node-engine portcullis-workers portcullis-rate-limit-workers portcullis-rate-limit-keys-workers"
for t in "${TARGETS[@]}"; do
  case " direct nginx node-http node-net $PORTCULLIS_TARGETS " in
    *" $t "*) ;;
    *) die "unknown target '$t' (direct nginx node-http node-net $PORTCULLIS_TARGETS)" ;;
  esac
  [[ -z ${PORT_OF[$t]:-} ]] || die "target '$t' listed twice"
  i=$((i + 1)); PORT_OF[$t]=$((BASE_PORT + i))
done
CACHEABLE_PORT=
[[ -z ${PORT_OF[portcullis-cache]:-}${PORT_OF[portcullis-cache-node-engine]:-}${PORT_OF[node-http]:-}${PORT_OF[node-net]:-} ]] || CACHEABLE_PORT=$UP_CACHE_PORT

# --- prerequisites --------------------------------------------------------------------------
missing=()
for tool in wrk nginx; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if ((${#missing[@]})); then
  echo "bench/run.sh needs ${missing[*]}. Install with:" >&2
  echo "  apt-get install -y wrk nginx" >&2
  exit 1
fi
for tool in curl taskset md5sum awk; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y curl util-linux coreutils gawk)"
done
if [[ -n ${PORT_OF[portcullis-rate-limit-redis]:-} ]]; then
  for tool in redis-server redis-cli; do
    command -v "$tool" >/dev/null || die "target portcullis-rate-limit-redis needs $tool (apt-get install -y redis-server), or leave it out of TARGETS"
  done
fi
NODE=$ROOT/node_modules/.bin/node   # the project's Node 24 (devDependency "node")
[[ -x $NODE ]] || die "no $NODE: run 'npm ci' first"
for cpus in "$LOADGEN_CPUS" "$UPSTREAM_CPUS" "$TARGET_CPUS"; do
  taskset -c "$cpus" true 2>/dev/null || die "cannot pin to CPUs '$cpus' (this machine has $(nproc); set LOADGEN_CPUS, UPSTREAM_CPUS, TARGET_CPUS)"
done

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "$UP_PORT" "$UP_STATUS_PORT" "${PORT_OF[@]}" ${CACHEABLE_PORT:+"$CACHEABLE_PORT"} ${PORT_OF[portcullis-rate-limit-redis]:+"$REDIS_PORT"}; do
  port_in_use "$p" && die "port $p is in use (another run? set BASE_PORT)"
done
for t in $PORTCULLIS_TARGETS; do
  [[ -n ${PORT_OF[$t]:-} ]] && port_in_use $((PORT_OF[$t] + 1000)) && die "admin port $((PORT_OF[$t] + 1000)) is in use"
done

# --- process bookkeeping (everything is stopped by PID on exit) -----------------------------
# Only what a previous run wrote (SCRATCH may be set to a directory holding other files).
rm -rf "$SCRATCH/wrk" "$SCRATCH/logs" "$SCRATCH/work" "$SCRATCH/www" "$SCRATCH/auth"
rm -f "$SCRATCH"/rss-*.tsv "$SCRATCH/raw.jsonl" "$SCRATCH/meta.tsv"
mkdir -p "$SCRATCH/wrk" "$SCRATCH/logs" "$SCRATCH/work"
RAW=$SCRATCH/raw.jsonl
: >"$RAW"
declare -A PID_OF START_OF
SAMPLERS=()
WRK_PID=

# Start time in clock ticks since boot: a recycled PID has another one.
proc_start() { [[ -r /proc/$1/stat ]] && sed 's/^.*) //' "/proc/$1/stat" | awk '{print $20}'; }

stop_pid() { # PID [START]
  local pid=$1 start=${2:-} i
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  if [[ -n $start && $(proc_start "$pid" || true) != "$start" ]]; then return 0; fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  log "pid $pid ignored SIGTERM for 5 s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local key pid
  ! declare -F hold_others >/dev/null || hold_others ''   # stopped targets must run again to see the signal that ends them
  [[ -z $WRK_PID ]] || stop_pid "$WRK_PID"
  for pid in "${SAMPLERS[@]}"; do stop_pid "$pid"; done
  SAMPLERS=()
  for key in "${!PID_OF[@]}"; do stop_pid "${PID_OF[$key]}" "${START_OF[$key]}"; done
  return 0
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM
set -E   # so that the ERR trap also fires inside functions
trap 'log "ERROR: line $LINENO: \"$BASH_COMMAND\" failed"' ERR

start_bg() { # KEY CPUS CMD... : CMD pinned to CPUS, output to $SCRATCH/logs/KEY.log
  local key=$1 cpus=$2; shift 2
  # A session of its own: targets are stopped (SIGSTOP) while others are measured, and the kernel
  # hangs up a process group that is orphaned (e.g. the terminal closes) while it holds stopped
  # processes; this way that is never the script's group.
  setsid taskset -c "$cpus" "$@" >"$SCRATCH/logs/$key.log" 2>&1 &
  PID_OF[$key]=$!
  START_OF[$key]=$(proc_start "$!" || true)
}

wait_200() { # URL TIMEOUT_S PID [HEADER]
  local i hdr=()
  [[ -z ${4:-} ]] || hdr=(-H "$4")
  for ((i = 0; i < $2 * 10; i++)); do
    kill -0 "$3" 2>/dev/null || return 1
    [[ $(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "${hdr[@]}" "$1") == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

# --- credentials for the authenticated targets -----------------------------------------------
# An RS256 key pair, a token signed with it (iss https://bench.portcullis.test, sub bench, exp in
# 10 years) and an API key, in $SCRATCH/auth (bench/lib/auth-fixture.ts). The targets configure
# the public key (jwt) or seed the key into their store (key-auth); wrk, the correctness check and
# the readiness probe send the credential in HEADER_OF[target].
declare -A HEADER_OF
AUTH_DIR=$SCRATCH/auth
for t in "${TARGETS[@]}"; do
  case $t in
    portcullis-key-auth | portcullis-jwt)
      if [[ ! -s $AUTH_DIR/token.txt ]]; then
        "$NODE" "$BENCH/lib/auth-fixture.ts" "$AUTH_DIR" >"$SCRATCH/logs/auth-fixture.log" 2>&1 ||
          die "bench/lib/auth-fixture.ts failed: $(tail -3 "$SCRATCH/logs/auth-fixture.log")"
      fi
      if [[ $t == portcullis-key-auth ]]; then
        HEADER_OF[$t]="apikey: $(<"$AUTH_DIR/apikey.txt")"
      else
        HEADER_OF[$t]="Authorization: Bearer $(<"$AUTH_DIR/token.txt")"
      fi ;;
  esac
done

# --- upstream content and nginx configs -----------------------------------------------------
WWW=$SCRATCH/www
mkdir -p "$WWW"
# shellcheck disable=SC2016 # (a JavaScript program: its ${…} are template literals)
"$NODE" -e '
  const fs = require("node:fs");
  const [dir, small, big] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
  // Pads an object with a filler string so that its JSON has exactly n bytes.
  const sized = (obj, n) => {
    const bare = JSON.stringify({ ...obj, fill: "" });
    const s = JSON.stringify({ ...obj, fill: "-".repeat(n - bare.length) });
    if (s.length !== n) throw new Error(`JSON is ${s.length} bytes, not ${n}`);
    return s;
  };
  fs.writeFileSync(`${dir}/small.json`, sized({ id: 4711, name: "portcullis-bench", ok: true, tags: ["a", "b"], at: "2026-01-01T00:00:00Z" }, small));
  const rows = Array.from({ length: 600 }, (_, i) => ({ id: i, sku: `SKU-${String(i).padStart(5, "0")}`, qty: i % 17 }));
  fs.writeFileSync(`${dir}/big.json`, sized({ rows }, big));
' "$WWW" "$JSON_BYTES" "$BIG_BYTES"
JSON_MD5=$(md5sum <"$WWW/small.json" | cut -d' ' -f1)
BIG_MD5=$(md5sum <"$WWW/big.json" | cut -d' ' -f1)

nginx_common() { # PREFIX
  cat <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $1/nginx.pid;
error_log $1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  tcp_nodelay on;
  keepalive_timeout 600s;
  keepalive_requests 100000000;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
EOF
}

write_static_conf() { # PREFIX PORT [STATUS_PORT [CACHEABLE_PORT]]
  local prefix=$1 port=$2 status=${3:-} cacheable=${4:-}
  mkdir -p "$prefix/tmp"
  {
    nginx_common "$prefix"
    cat <<EOF
  sendfile on;
  tcp_nopush on;
  open_file_cache max=16 inactive=600s;
  open_file_cache_valid 600s;
  server {
    listen 127.0.0.1:$port backlog=4096;
    location = /json { default_type application/json; return 200 '$(cat "$WWW/small.json")'; }
    location = /big  { default_type application/json; alias $WWW/big.json; }
    location / { return 404; }
  }
EOF
    # The same content, marked cacheable: the upstream of portcullis-cache, node-http and node-net only (nginx and the
    # other targets get the responses above, which carry no Cache-Control or Expires).
    [[ -z $cacheable ]] || cat <<EOF
  server {
    listen 127.0.0.1:$cacheable backlog=4096;
    add_header Cache-Control "public, max-age=3600";
    location = /json { default_type application/json; return 200 '$(cat "$WWW/small.json")'; }
    location = /big  { default_type application/json; alias $WWW/big.json; }
    location / { return 404; }
  }
EOF
    [[ -z $status ]] || printf '  server {\n    listen 127.0.0.1:%s;\n    location / { stub_status; }\n  }\n' "$status"
    echo "}"
  } >"$prefix/nginx.conf"
}

write_proxy_conf() { # PREFIX PORT
  local prefix=$1 port=$2
  mkdir -p "$prefix/tmp"
  {
    nginx_common "$prefix"
    cat <<EOF
  upstream backend {
    server 127.0.0.1:$UP_PORT;
    keepalive 128;
    keepalive_requests 100000000;
    keepalive_timeout 600s;
  }
  server {
    listen 127.0.0.1:$port backlog=4096;
    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffer_size 16k;
      proxy_buffers 8 16k;
    }
  }
}
EOF
  } >"$prefix/nginx.conf"
}

# --- start everything -----------------------------------------------------------------------
NCPU=$(nproc)
CLK_TCK=$(getconf CLK_TCK)
NPATHS=${#PATHS[@]}
rate_on=$((RATE > 0 ? 1 : 0))
ETA=$((${#TARGETS[@]} * (PRIME + 3 + ROUNDS * (WARMUP + NPATHS * DURATION + rate_on * RATE_DURATION + 2))))
log "targets: ${TARGETS[*]}; rounds=$ROUNDS prime=${PRIME}s warmup=${WARMUP}s duration=${DURATION}s rate=${RATE}/s x ${RATE_DURATION}s"
log "cpus: wrk=$LOADGEN_CPUS upstream=$UPSTREAM_CPUS targets=$TARGET_CPUS (of $NCPU); estimated ~$((ETA / 60))m$((ETA % 60))s"

write_static_conf "$SCRATCH/work/upstream" "$UP_PORT" "$UP_STATUS_PORT" ${CACHEABLE_PORT:+"$CACHEABLE_PORT"}
start_bg upstream "$UPSTREAM_CPUS" nginx -p "$SCRATCH/work/upstream" -c "$SCRATCH/work/upstream/nginx.conf" -e "$SCRATCH/work/upstream/error.log"
wait_200 "http://127.0.0.1:$UP_PORT/json" 10 "${PID_OF[upstream]}" || die "upstream nginx did not start: $(tail -3 "$SCRATCH/logs/upstream.log")"
upstream_counters() { # "[accepts,requests]" of the upstream (our own status request adds 1 each)
  { curl -s --max-time 2 "http://127.0.0.1:$UP_STATUS_PORT/" || true; } | awk 'NR == 3 { printf "[%d,%d]", $1, $3 }'
}
header_of() { # URL NAME: the value of response header NAME (lower case) of a GET of URL
  curl -s --max-time 5 -o /dev/null -D - "$1" | tr -d '\r' | awk -v h="$2:" 'tolower($1) == h { $1 = ""; print substr($0, 2) }'
}
if [[ -n $CACHEABLE_PORT ]]; then
  cc=$(header_of "http://127.0.0.1:$UP_CACHE_PORT/big" cache-control)
  [[ $cc == "public, max-age=3600" ]] || die "the cacheable upstream port $UP_CACHE_PORT sends Cache-Control '$cc', not 'public, max-age=3600'"
fi
# Redis for portcullis-rate-limit-redis: private, in memory only, pinned like the upstream. Core 0
# is thus shared by wrk, the upstream nginx and Redis: the Redis side of each count is not on the
# target core (nor in the target's CPU µs/req).
REDIS_URL=
if [[ -n ${PORT_OF[portcullis-rate-limit-redis]:-} ]]; then
  mkdir -p "$SCRATCH/work/redis"
  start_bg redis "$UPSTREAM_CPUS" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
    --dir "$SCRATCH/work/redis"
  REDIS_URL=redis://127.0.0.1:$REDIS_PORT
  for ((i = 0; i < 50; i++)); do
    [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] && break
    kill -0 "${PID_OF[redis]}" 2>/dev/null || die "redis-server did not start: $(tail -3 "$SCRATCH/logs/redis.log")"
    sleep 0.1
  done
  [[ $(redis-cli -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]] || die "redis-server on port $REDIS_PORT does not answer PING: $(tail -3 "$SCRATCH/logs/redis.log")"
  log "redis: up on 127.0.0.1:$REDIS_PORT (pid ${PID_OF[redis]}, cpus $UPSTREAM_CPUS, redis $(redis-server --version | sed -n 's/.* v=\([^ ]*\).*/\1/p'))"
fi

declare -A VERSION_OF
for t in "${TARGETS[@]}"; do
  port=${PORT_OF[$t]} work=$SCRATCH/work/$t
  mkdir -p "$work"
  case $t in
    direct)
      write_static_conf "$work" "$port"
      start_bg "$t" "$TARGET_CPUS" nginx -p "$work" -c "$work/nginx.conf" -e "$work/error.log"
      VERSION_OF[$t]="nginx $(nginx -v 2>&1 | sed 's/^.*nginx\///') (copy of the upstream)" ;;
    nginx)
      write_proxy_conf "$work" "$port"
      start_bg "$t" "$TARGET_CPUS" nginx -p "$work" -c "$work/nginx.conf" -e "$work/error.log"
      VERSION_OF[$t]="nginx $(nginx -v 2>&1 | sed 's/^.*nginx\///')" ;;
    node-http)
      # The floor for a cache hit: node:http answering from memory with what a hit of
      # portcullis-cache sends (bench/targets/node-http.ts), fetched once from the cacheable port.
      start_bg "$t" "$TARGET_CPUS" "$NODE" "$BENCH/targets/node-http.ts" "$port" "127.0.0.1:$UP_CACHE_PORT"
      VERSION_OF[$t]="node:http on node@$("$NODE" -p process.versions.node), serving the stored response from memory" ;;
    node-net)
      # The floor under any Node.js server: the same answers on bare node:net, one read and one
      # write per request (bench/targets/node-net.ts).
      start_bg "$t" "$TARGET_CPUS" "$NODE" "$BENCH/targets/node-net.ts" "$port" "127.0.0.1:$UP_CACHE_PORT"
      VERSION_OF[$t]="node:net on node@$("$NODE" -p process.versions.node), serving the stored response from memory" ;;
    portcullis*)
      script=$BENCH/targets/$t.sh
      # PORTCULLIS_BENCH_AUTH_DIR: the credentials, used by portcullis-key-auth and portcullis-jwt;
      # PORTCULLIS_BENCH_REDIS_URL: the Redis of portcullis-rate-limit-redis. portcullis-cache
      # proxies to the upstream's cacheable port.
      upstream=127.0.0.1:$UP_PORT
      [[ $t != portcullis-cache* ]] || upstream=127.0.0.1:$UP_CACHE_PORT
      export PROJECT=$ROOT PORTCULLIS_BENCH_AUTH_DIR=$AUTH_DIR PORTCULLIS_BENCH_REDIS_URL=$REDIS_URL
      "$script" setup >"$SCRATCH/logs/$t.setup.log" 2>&1 || die "$t setup failed: $(tail -3 "$SCRATCH/logs/$t.setup.log")"
      VERSION_OF[$t]=$("$script" version)
      GWB_WORK=$work start_bg "$t" "$TARGET_CPUS" "$script" start "$port" "$upstream"
      wait_200 "http://127.0.0.1:$((port + 1000))/health" 60 "${PID_OF[$t]}" ||
        die "$t did not become healthy: $(tail -3 "$SCRATCH/logs/$t.log")" ;;
  esac
  pid=${PID_OF[$t]} header=${HEADER_OF[$t]:-} hdr=()
  [[ -z $header ]] || hdr=(-H "$header")
  wait_200 "http://127.0.0.1:$port/json" 30 "$pid" "$header" || die "$t does not answer 200 on /json: $(tail -3 "$SCRATCH/logs/$t.log")"
  # Correctness first: both bodies must come back byte-identical through the target.
  for p in /json /big; do
    want=$JSON_MD5; [[ $p == /big ]] && want=$BIG_MD5
    got=$(curl -s "${hdr[@]}" "http://127.0.0.1:$port$p" | md5sum | cut -d' ' -f1)
    [[ $got == "$want" ]] || die "$t: body of $p differs from the upstream's (md5 $got, expected $want)"
  done
  checked="/json and /big bodies identical"
  # An authenticated target must refuse the same request without the credential: the plugin is
  # really on the route, and the 200s above (and wrk's) are authenticated ones.
  if [[ -n $header ]]; then
    for p in /json /big; do
      code=$(curl -s -o /dev/null --max-time 5 -w '%{http_code}' "http://127.0.0.1:$port$p")
      [[ $code == 401 ]] || die "$t: $p without the credential answered $code, not 401 (is the auth plugin on the route?)"
    done
    checked+=" with '${header%%:*}', 401 without"
  fi
  # The cache target must answer from its cache once a path has been fetched (the md5 check above
  # fetched each once): Cache-Status with "hit", and the upstream not asked again.
  if [[ $t == portcullis-cache* ]]; then
    for p in /json /big; do
      u0=$(upstream_counters) status=
      for ((i = 0; i < 20; i++)); do   # (an entry is stored once its body has arrived: poll briefly)
        status=$(header_of "http://127.0.0.1:$port$p" cache-status)
        [[ $status == *"; hit"* ]] && break
        sleep 0.1
      done
      [[ $status == *"; hit"* ]] || die "$t: $p is not served from the cache after the first request (Cache-Status: '$status')"
      u1=$(upstream_counters)
      # (each status reading counts one request of its own)
      up_reqs=$(awk -v a="$u0" -v b="$u1" 'BEGIN { split(a, x, /[][,]/); split(b, y, /[][,]/); print y[3] - x[3] - 1 }')
      [[ $up_reqs == 0 ]] || die "$t: the upstream received $up_reqs request(s) while $p was served from the cache (Cache-Status: '$status')"
    done
    checked+=", then Cache-Status '$status' without upstream requests"
  fi
  # The rate-limited targets must count every request: RateLimit fields on the response.
  if [[ $t == portcullis-rate-limit* ]]; then
    rl=$(header_of "http://127.0.0.1:$port/json" ratelimit-policy)
    [[ -n $rl ]] || die "$t: /json carries no RateLimit-Policy header (is rate-limiting on the route?)"
    checked+=", RateLimit-Policy '$rl'"
  fi
  log "$t: up on 127.0.0.1:$port (pid $pid, cpus $(awk '/Cpus_allowed_list/{print $2}' "/proc/$pid/status"), ${VERSION_OF[$t]}); $checked"
done

# --- resident memory of the Node targets ----------------------------------------------------
rss_kb() { awk '/^VmRSS/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM/{print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
# JS heap used, heap total and external memory (kB) from the admin /metrics (prom-client's
# default metrics): tells JS heap growth apart from other resident memory.
heap_kb() { # ADMIN_PORT
  { curl -s --max-time 2 "http://127.0.0.1:$1/metrics" || true; } | awk '
    $1 == "portcullis_nodejs_heap_size_used_bytes" { u = $2 } $1 == "portcullis_nodejs_heap_size_total_bytes" { t = $2 }
    $1 == "portcullis_nodejs_external_memory_bytes" { e = $2 }
    END { if (u == "") print "\t\t"; else printf "%d\t%d\t%d\n", u / 1024, t / 1024, e / 1024 }'
}
rss_mark() { # TARGET LABEL: one "label rss heap_used heap_total external" line (kB) per checkpoint
  [[ $1 == portcullis* ]] || return 0
  printf '%s\t%s\t%s\n' "$2" "$(rss_kb "${PID_OF[$1]}")" "$(heap_kb $((PORT_OF[$1] + 1000)))" >>"$SCRATCH/rss-marks-$1.tsv"
}
rss_sampler() { # PID FILE: "seconds-since-start kB" every second while PID lives
  local pid=$1 file=$2 t0=$SECONDS kb
  while kill -0 "$pid" 2>/dev/null; do
    kb=$(rss_kb "$pid")
    printf '%s\t%s\n' "$((SECONDS - t0))" "$kb" >>"$file"
    sleep 1
  done
}
for t in "${TARGETS[@]}"; do
  [[ $t == portcullis* ]] || continue
  rss_mark "$t" start
  rss_sampler "${PID_OF[$t]}" "$SCRATCH/rss-$t.tsv" &
  SAMPLERS+=("$!")
done

# --- measurements ---------------------------------------------------------------------------
cpu_snapshot() { # "busy total" per core, space-separated, as a JSON array
  awk 'BEGIN { printf "[" } /^cpu[0-9]+ / { printf "%s[%d,%d]", (n++ ? "," : ""), $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9 } END { printf "]" }' /proc/stat
}
tree_ticks() { # utime+stime of PID and its children (nginx workers)
  local p total=0 t
  for p in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}
# Machine-wide user+nice+system ticks minus those of our own processes (run.sh, whose counters
# include its reaped children such as wrk; the targets; the upstream; the RSS samplers).
# Differenced over a measurement, it is the CPU time that other processes used. Counting from
# /proc/stat, rather than summing the other processes' counters, avoids the jump a parent's
# cutime makes when it reaps a long-running child.
foreign_ticks() {
  local files=() p
  for p in $OURS; do files+=("/proc/$p/stat"); done
  { cat /proc/stat; cat "${files[@]}" 2>/dev/null || true; } | awk '
    /^cpu / { busy = $2 + $3 + $4; next }
    !/\) / { next }
    { rest = $0; sub(/^[0-9]+ \(.*\) /, "", rest); split(rest, f, " "); ours += f[12] + f[13] + f[14] + f[15] }
    END { printf "%d", busy - ours }'
}
descendants() { local k; for k in $(pgrep -P "$1" 2>/dev/null || true); do echo "$k"; descendants "$k"; done; }

measure() { # TARGET ROUND MODE PATH SECONDS RATE
  local t=$1 round=$2 mode=$3 path=$4 secs=$5 rate=$6
  local pid=${PID_OF[$t]} tag="r$2-$1-$3-${4//\//}"
  local out=$SCRATCH/wrk/$tag.json env_extra=() hdr=() c0 c1 t0 t1 u0 u1 f0 f1 alive=true
  [[ $mode == prime || $mode == warmup ]] && env_extra+=("PCB_PATHS=$(IFS=,; echo "${PATHS[*]}")")
  ((rate > 0)) && env_extra+=("PCB_RATE=$rate")
  ((KEYS > 0)) && env_extra+=("PCB_KEYS=$KEYS")
  [[ -z ${HEADER_OF[$t]:-} ]] || hdr=(-H "${HEADER_OF[$t]}")
  f0=$(foreign_ticks); c0=$(cpu_snapshot); t0=$(tree_ticks "$pid"); u0=$(upstream_counters)
  env PCB_OUT="$out" PCB_THREADS="$THREADS" "${env_extra[@]}" \
    taskset -c "$LOADGEN_CPUS" wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout "$WRK_TIMEOUT" --latency "${hdr[@]}" \
    -s "$BENCH/lib/wrk.lua" "http://127.0.0.1:${PORT_OF[$t]}$path" >"$SCRATCH/wrk/$tag.txt" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID" || true
  WRK_PID=
  t1=$(tree_ticks "$pid"); u1=$(upstream_counters); c1=$(cpu_snapshot); f1=$(foreign_ticks)
  kill -0 "$pid" 2>/dev/null || alive=false
  [[ -s $out ]] || echo '{}' >"$out"
  printf '{"round":%d,"target":"%s","mode":"%s","path":"%s","seconds":%d,"rate":%d,"alive":%s,"cpu_before":%s,"cpu_after":%s,"target_ticks":%d,"foreign_ticks":%d,"upstream_before":%s,"upstream_after":%s,"rss_kb":%d,"wrk":%s}\n' \
    "$round" "$t" "$mode" "$path" "$secs" "$rate" "$alive" "$c0" "$c1" "$((t1 - t0))" "$((f1 > f0 ? f1 - f0 : 0))" "${u0:-null}" "${u1:-null}" \
    "$( [[ $t == portcullis* ]] && rss_kb "$pid" || echo 0)" "$(cat "$out")" >>"$RAW"
  $alive || die "$t died during $mode $path (round $round): $(tail -3 "$SCRATCH/logs/$t.log")"
}

# Only the target being measured runs: the others (on the same core) are stopped with SIGSTOP
# meanwhile, so that their timers (health checks, metrics, connection sweeps) cannot take the
# core's time or caches in the middle of another target's measurement. hold_others '' resumes all.
hold_others() { # TARGET
  local o sig p
  for o in "${TARGETS[@]}"; do
    [[ -n ${PID_OF[$o]:-} ]] || continue
    sig=CONT; [[ -n $1 && $o != "$1" ]] && sig=STOP
    for p in "${PID_OF[$o]}" $(descendants "${PID_OF[$o]}"); do kill -s "$sig" "$p" 2>/dev/null || true; done
  done
}

# Waits while processes outside this run use more than QUIET_PCT % of a core.
QUIET_WAITED=0
wait_quiet() {
  local a b pct t0=$SECONDS said=0
  while :; do
    a=$(foreign_ticks); sleep 0.5; b=$(foreign_ticks)
    pct=$(((b > a ? b - a : 0) * 200 / CLK_TCK))
    ((pct < QUIET_PCT || SECONDS - t0 >= QUIET_WAIT)) && break
    ((said++)) || log "other processes use ${pct}% of a core; waiting up to ${QUIET_WAIT}s"
    sleep 1
  done
  ((said == 0)) || { QUIET_WAITED=$((QUIET_WAITED + SECONDS - t0)); log "  continuing at ${pct}%"; }
  return 0
}

OURS="$$ ${SAMPLERS[*]}"
for key in "${!PID_OF[@]}"; do OURS+=" ${PID_OF[$key]} $(descendants "${PID_OF[$key]}" | tr '\n' ' ')"; done

START_TS=$SECONDS
if ((PRIME > 0)); then
  for t in "${TARGETS[@]}"; do
    log "priming $t (${PRIME}s, /json and /big alternately)"
    hold_others "$t"
    measure "$t" 0 prime /json "$PRIME" 0
    rss_mark "$t" "after prime"
  done
fi
for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${TARGETS[@]}"; do
    wait_quiet
    log "round $r/$ROUNDS: $t"
    hold_others "$t"
    measure "$t" "$r" warmup /json "$WARMUP" 0
    for p in "${PATHS[@]}"; do measure "$t" "$r" max "$p" "$DURATION" 0; done
    ((RATE > 0)) && measure "$t" "$r" rate "$RATE_PATH" "$RATE_DURATION" "$RATE"
    rss_mark "$t" "after round $r"
  done
done
ELAPSED=$((SECONDS - START_TS))
hold_others ''

# --- metadata, stop, report -----------------------------------------------------------------
{
  printf 'date\t%s\n' "$(date -Is)"
  printf 'cpu_model\t%s\n' "$(awk -F': ' '/model name/{print $2; exit}' /proc/cpuinfo)"
  printf 'host_cpus\t%s\n' "$NCPU"
  printf 'kernel\t%s\n' "$(uname -r)"
  printf 'mem_total\t%s\n' "$(awk '/MemTotal/{printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
  printf 'node\t%s\n' "$("$NODE" -v)"
  printf 'nginx\t%s\n' "$(nginx -v 2>&1 | sed 's/^.*nginx\///')"
  printf 'wrk\t%s\n' "$(dpkg-query -W -f '${Version}' wrk 2>/dev/null || wrk -v 2>&1 | head -1)"
  printf 'clk_tck\t%s\n' "$CLK_TCK"
  printf 'loadgen_cpus\t%s\nupstream_cpus\t%s\ntarget_cpus\t%s\n' "$LOADGEN_CPUS" "$UPSTREAM_CPUS" "$TARGET_CPUS"
  printf 'rounds\t%s\nprime_s\t%s\nwarmup_s\t%s\nduration_s\t%s\nrate\t%s\nrate_duration_s\t%s\nrate_path\t%s\n' \
    "$ROUNDS" "$PRIME" "$WARMUP" "$DURATION" "$RATE" "$RATE_DURATION" "$RATE_PATH"
  printf 'keys\t%s\n' "$KEYS"
  printf 'conns\t%s\nthreads\t%s\njson_bytes\t%s\nbig_bytes\t%s\nelapsed_s\t%s\nquiet_waited_s\t%s\n' \
    "$CONNS" "$THREADS" "$JSON_BYTES" "$BIG_BYTES" "$ELAPSED" "$QUIET_WAITED"
  printf 'targets\t%s\n' "${TARGETS[*]}"
  for t in "${TARGETS[@]}"; do
    printf 'version:%s\t%s\n' "$t" "${VERSION_OF[$t]}"
    [[ $t == portcullis* ]] && printf 'hwm_kb:%s\t%s\n' "$t" "$(hwm_kb "${PID_OF[$t]}")"
    # The traffic-control plugins' own counters (admin /metrics): every rate-limit decision should be
    # "allowed" (none "fallback": Redis answered in time), every cache lookup after the first a "hit".
    if [[ $t == portcullis-rate-limit* || $t == portcullis-cache* ]]; then
      printf 'plugin_metrics:%s\t%s\n' "$t" "$({ curl -s --max-time 2 "http://127.0.0.1:$((PORT_OF[$t] + 1000))/metrics" || true; } |
        awk '/^portcullis_(rate_limit_decisions|counter_backend_errors|cache_requests)_total[{ ]/ { printf "%s%s %s", (n++ ? ";" : ""), $1, $2 }')"
    fi
    # The Redis side: how many script calls carried those decisions (the requests of one event-loop
    # turn share one call).
    if [[ $t == portcullis-rate-limit-redis ]]; then
      printf 'redis_script_calls\t%s\n' "$(redis-cli -p "$REDIS_PORT" info commandstats 2>/dev/null | tr -d '\r' |
        awk -F'[:=,]' '$1 == "cmdstat_evalsha" || $1 == "cmdstat_eval" { n += $3 } END { print n + 0 }')"
    fi
  done
  true
} >"$SCRATCH/meta.tsv"

cleanup
trap - EXIT
mkdir -p "$RESULTS_DIR"
"$NODE" "$BENCH/lib/report.ts" "$SCRATCH" "$RESULTS_DIR"
log "done in ${ELAPSED}s of measurement; results in $RESULTS_DIR/latest.md and latest.json; wrk output and logs in $SCRATCH"
