#!/usr/bin/env bash
# Dateline under attack: builds the release binary, fills a fresh database with a generated
# archive, makes a newsroom account, starts the server and runs bench/abuse.py against it on
# loopback — the attacks of the security review, then a soak at saturation — printing errors,
# memory, open descriptors and /healthz latency against the goals in docs/SECURITY.md.
# Prints figures; asserts nothing.
#
#   bench/abuse.sh                          10-minute soak on SQLite
#   SOAK=60 bench/abuse.sh                  a short run
#   bench/abuse.sh --only uploads,soak      some of the steps (bench/abuse.py --help lists them)
#   DATABASE=postgres://root@127.0.0.1:5432/dateline_abuse bench/abuse.sh   on PostgreSQL
#                                           (the database is dropped and created anew)
#
# Needs: wrk (Debian package wrk), python3, curl; psql for a PostgreSQL run.
set -euo pipefail
cd "$(dirname "$0")/.."

SOAK=${SOAK:-600}
ARTICLES=${ARTICLES:-2000}
PORT=${PORT:-18090}
DIR=$(mktemp -d /tmp/dateline-abuse.XXXXXX)
EMAIL=editor@abuse.example
PASSWORD='a long abuse-run passphrase'

for tool in wrk python3 curl; do
  command -v "$tool" >/dev/null || { echo "abuse: $tool is missing (apt-get install wrk)" >&2; exit 1; }
done
if [ -n "${DATELINE_BIN:-}" ]; then
  BIN=$DATELINE_BIN
else
  cargo build --release --quiet
  BIN=$PWD/target/release/dateline
fi

DATABASE=${DATABASE:-sqlite:$DIR/dateline.db}
if [[ $DATABASE == postgres* ]]; then
  name=${DATABASE##*/}
  admin=${DATABASE%/*}/postgres
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
fi
export DATELINE_DATABASE=$DATABASE DATELINE_DATA_DIR=$DIR/data

server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$DIR"
}
trap cleanup EXIT

echo "abuse: generating $ARTICLES articles in $DATABASE" >&2
"$BIN" migrate >/dev/null
"$BIN" generate --articles "$ARTICLES" >/dev/null 2>&1
echo "$PASSWORD" | "$BIN" user add --email "$EMAIL" --name "Abuse Run" --role editor >/dev/null

# The server runs with the file-descriptor limit the review used: 1,024.
(ulimit -n 1024 && exec "$BIN" serve --addr "127.0.0.1:$PORT") >/dev/null 2>"$DIR/server.log" &
server_pid=$!
for _ in $(seq 1 600); do
  curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  kill -0 "$server_pid" 2>/dev/null || { echo "abuse: server died:" >&2; cat "$DIR/server.log" >&2; exit 1; }
  sleep 0.1
done

python3 bench/abuse.py --url "http://127.0.0.1:$PORT" --pid "$server_pid" \
  --email "$EMAIL" --password "$PASSWORD" --soak "$SOAK" "$@"
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "abuse: the server died during the run:" >&2
  tail -n 20 "$DIR/server.log" >&2
  exit 1
fi
echo "server log: $(grep -c ' ERROR ' "$DIR/server.log" || true) ERROR lines, $(wc -l <"$DIR/server.log") lines in all"
# The log goes with the run's directory; its errors and warnings are kept beside the figures.
grep -E ' (ERROR|WARN) ' "$DIR/server.log" | cut -c1-400 | sed -E 's/^[^ ]+ +//; s/[0-9]+/N/g' | sort | uniq -c | sort -rn | head -n 20 >&2 || true
