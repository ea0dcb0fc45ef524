#!/usr/bin/env bash
# Dateline benchmarks: builds the release binary, generates corpora, starts the server and loads
# it with wrk, and serves the seed page's exact HTML from nginx in the same run for a reference.
# Prints figures and ratios; asserts nothing.
#
#   bench/run.sh                      sizes 1000 100000 1000000
#   SIZES="1000 100000" bench/run.sh  smaller run
#
# Needs: wrk, nginx (Debian packages wrk, nginx-light), python3. Corpora are kept in $BENCH_DIR
# (default /tmp/dateline-bench) and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZES=${SIZES:-"1000 100000 1000000"}
DIR=${BENCH_DIR:-/tmp/dateline-bench}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PORT=${PORT:-18080}
NGINX_PORT=${NGINX_PORT:-18081}
SEED_PATH=/imran-khan-extends-invitation-to-putin-discuss-ties-on-call

for tool in wrk nginx python3 curl; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing (apt-get install wrk nginx-light)" >&2; exit 1; }
done
mkdir -p "$DIR"
# DATELINE_BIN=path skips the build and measures that binary.
if [ -n "${DATELINE_BIN:-}" ]; then
  BIN=$DATELINE_BIN
else
  cargo build --release --quiet
  BIN=$PWD/target/release/dateline
fi

server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  server_pid=""
}
trap 'stop_server; [ -f "$DIR/nginx/nginx.pid" ] && kill "$(cat "$DIR/nginx/nginx.pid")" 2>/dev/null || true' EXIT

# start_server DB [extra args]: starts dateline serve; STARTUP is the seconds until /healthz answered.
start_server() {
  local db=$1; shift
  local t0; t0=$(date +%s.%N)
  # Each corpus has its own data directory: its search index lives there.
  "$BIN" serve --addr "127.0.0.1:$PORT" --database "sqlite:$db" --data-dir "${db%.db}.data" "$@" >/dev/null 2>"$DIR/server.log" &
  server_pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" 2>/dev/null; do
    kill -0 "$server_pid" 2>/dev/null || { echo "bench: server died:" >&2; cat "$DIR/server.log" >&2; exit 1; }
    sleep 0.005
  done
  STARTUP=$(echo "$(date +%s.%N) - $t0" | bc)
}

peak_rss_mb() { awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$server_pid/status"; }

# load NAME URL [lua-paths-file]: runs wrk, prints "NAME  req/s  p50  p99".
load() {
  local name=$1 url=$2 paths=${3:-}
  local out
  if [ -n "$paths" ]; then
    out=$(PATHS=$paths wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s bench/random-path.lua "$url")
  else
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency "$url")
  fi
  local rps p50 p99 errors
  rps=$(awk '/Requests\/sec/ { print $2 }' <<<"$out")
  p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
  p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
  errors=$(awk '/Non-2xx or 3xx/ { print $5 }' <<<"$out")
  printf '%-34s %12s req/s   p50 %9s   p99 %9s%s\n' "$name" "$rps" "$p50" "$p99" "${errors:+   NON-2XX: $errors}"
  LAST_RPS=$rps
}

echo "Dateline benchmark, $(nproc) cores, wrk -t$THREADS -c$CONNECTIONS -d$DURATION, $(date -u +%FT%TZ)"
echo

declare -A GEN_RATE
for n in $SIZES; do
  db="$DIR/corpus-$n.db"
  if [ ! -f "$db" ]; then
    rm -rf "$db"-* "${db%.db}.data"
    "$BIN" generate --articles "$n" --database "sqlite:$db" --data-dir "$DIR/data" 2>"$DIR/generate-$n.log"
    GEN_RATE[$n]=$(grep -o '([0-9]* articles/s)' "$DIR/generate-$n.log" | tr -d '()')
    # The first start loads the demo publication (the seed article) into the corpus and builds
    # its search index; start-up is measured on a later start.
    start_server "$db"; stop_server
  else
    GEN_RATE[$n]="(corpus reused)"
    # A corpus never served (no demo publication in it yet, e.g. made by bench/search.sh) is
    # served once first: loading the demo publication changes it, and the search index is
    # rebuilt for the change outside the measured start.
    seeded=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('SELECT COUNT(*) FROM articles WHERE slug = ?', (sys.argv[2],)).fetchone()[0])" "$db" "${SEED_PATH#/}")
    if [ "$seeded" = 0 ] || [ ! -d "${db%.db}.data" ]; then start_server "$db"; stop_server; fi
  fi
done

echo "== Start-up, memory and cold rendering by corpus size"
echo "   (Related block on, the default: a generated corpus has no related lists yet, so each first"
echo "   read queues one and a background task computes them while wrk runs; then the block off)"
printf '%-10s %-8s %14s %12s %14s %18s %22s\n' articles related generated start-up "peak RSS" "cold render" "cold p50 / p99"
for n in $SIZES; do
  db="$DIR/corpus-$n.db"
  python3 bench/pick-paths.py "$db" 20000 >"$DIR/paths-$n.txt"
  for related in on off; do
    flags=(--page-cache-mb 0)
    [ "$related" = off ] && flags+=(--no-related)
    start_server "$db" "${flags[@]}"
    startup=$STARTUP
    line=$(load cold "http://127.0.0.1:$PORT" "$DIR/paths-$n.txt")
    rss=$(peak_rss_mb)
    stop_server
    read -r _ rps _ _ p50 _ p99 _ <<<"$line"
    printf '%-10s %-8s %14s %11.3fs %12s MB %12s pages/s %10s / %s\n' "$n" "$related" "${GEN_RATE[$n]}" "$startup" "$rss" "$rps" "$p50" "$p99"
  done
done
echo

largest=${SIZES##* }
db="$DIR/corpus-$largest.db"
section=$(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute(\"SELECT slug FROM sections ORDER BY id LIMIT 1\").fetchone()[0])" "$db")
echo "== Page types at $largest articles"
start_server "$db"
curl -fs "http://127.0.0.1:$PORT$SEED_PATH" -o "$DIR/seed.html"
load "seed article (cached)" "http://127.0.0.1:$PORT$SEED_PATH"; ours=$LAST_RPS
load "home page (cached)" "http://127.0.0.1:$PORT/"
load "section front (cached)" "http://127.0.0.1:$PORT/section/$section"
for extra in "/search?q=budget" "/feed.xml"; do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT$extra")" = 200 ]; then
    load "$extra" "http://127.0.0.1:$PORT$extra"
  fi
done
echo "peak RSS with cache: $(peak_rss_mb) MB"
stop_server
start_server "$db" --page-cache-mb 0 >/dev/null
load "seed article (cache off)" "http://127.0.0.1:$PORT$SEED_PATH"
load "cold article render (random)" "http://127.0.0.1:$PORT" "$DIR/paths-$largest.txt"
load "home page (cache off)" "http://127.0.0.1:$PORT/"
load "section front (cache off)" "http://127.0.0.1:$PORT/section/$section"
stop_server
echo

echo "== Reference: nginx serving the seed page's exact HTML as a static file"
mkdir -p "$DIR/nginx/www"
cp "$DIR/seed.html" "$DIR/nginx/www/seed.html"
cat >"$DIR/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $DIR/nginx/nginx.pid;
error_log $DIR/nginx/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  types { text/html html; }
  server { listen 127.0.0.1:$NGINX_PORT; root $DIR/nginx/www; }
}
CONF
nginx -c "$DIR/nginx/nginx.conf" -p "$DIR/nginx"
sleep 0.3
load "nginx static seed page" "http://127.0.0.1:$NGINX_PORT/seed.html"; theirs=$LAST_RPS
kill "$(cat "$DIR/nginx/nginx.pid")"
echo
echo "cached seed article vs nginx static: $(echo "scale=2; $ours / $theirs" | bc) x  ($ours vs $theirs req/s; goal >= 0.8)"
