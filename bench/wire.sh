#!/usr/bin/env bash
# Wire ingest throughput: builds the release binary, fills a fresh database with an archive of
# agency items (100,000 by default, ninjs), then times `dateline wire ingest` of 10,000 new ninjs
# items and 10,000 new NewsML-G2 items into it, and prints items per second against Python's own
# JSON and XML parsers reading the same files in the same run (a parser alone, no storing).
# Prints figures; asserts nothing.
#
#   bench/wire.sh                                   SQLite
#   DATABASE=postgres://root@127.0.0.1:5432/dateline_wire bench/wire.sh   PostgreSQL (dropped and
#                                                   created anew)
#   ARCHIVE=20000 bench/wire.sh                     a smaller archive
set -euo pipefail
cd "$(dirname "$0")/.."
ARCHIVE=${ARCHIVE:-100000}
MEASURED=${MEASURED:-10000}
PER_FILE=${PER_FILE:-1000}
DIR=$(mktemp -d /tmp/dateline-wire-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
if [ -n "${DATELINE_BIN:-}" ]; then
  BIN=$DATELINE_BIN
else
  cargo build --release --quiet
  BIN=$PWD/target/release/dateline
fi
DATABASE=${DATABASE:-sqlite:$DIR/data/dateline.db}
if [[ $DATABASE == postgres* ]]; then
  name=${DATABASE##*/}
  admin=${DATABASE%/*}/postgres
  psql -q "$admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name"
fi
run() { "$BIN" --database "$DATABASE" --data-dir "$DIR/data" "$@"; }
now() { date +%s.%N; }

echo "Wire ingest on ${DATABASE%%:*}: an archive of $ARCHIVE items, then $MEASURED ninjs and $MEASURED NewsML-G2 items, $PER_FILE per file"
run migrate >/dev/null
run wire provider add --code APP --name "Associated Press of Pakistan" >/dev/null
python3 bench/wire-files.py --out "$DIR/archive" --format ninjs --files $((ARCHIVE / PER_FILE)) --per-file "$PER_FILE" --start 0
python3 bench/wire-files.py --out "$DIR/ninjs" --format ninjs --files $((MEASURED / PER_FILE)) --per-file "$PER_FILE" --start "$ARCHIVE"
python3 bench/wire-files.py --out "$DIR/g2" --format newsml-g2 --files $((MEASURED / PER_FILE)) --per-file "$PER_FILE" --start $((ARCHIVE + MEASURED))

rate() { python3 -c "import sys; n, s = float(sys.argv[1]), float(sys.argv[2]); print(f'{n / s:,.0f}')" "$1" "$2"; }
ingest() { # label dir count
  local t0 t1 secs
  t0=$(now)
  run wire ingest --provider APP "$2"/* >/dev/null
  t1=$(now)
  secs=$(python3 -c "print(f'{$t1 - $t0:.2f}')")
  echo "$secs"
}
secs=$(ingest archive "$DIR/archive" "$ARCHIVE")
echo "archive: $ARCHIVE ninjs items in $secs s ($(rate "$ARCHIVE" "$secs") items/s)"
for kind in ninjs g2; do
  secs=$(ingest "$kind" "$DIR/$kind" "$MEASURED")
  read -r parsed psecs < <(python3 bench/wire-files.py --parse "$DIR/$kind")
  ours=$(rate "$MEASURED" "$secs")
  reference=$(rate "$parsed" "$psecs")
  ratio=$(python3 -c "print(f'{($MEASURED / $secs) / ($parsed / $psecs):.2f}')")
  label=$([ "$kind" = g2 ] && echo NewsML-G2 || echo ninjs)
  echo "$label: $MEASURED items into the archive in $secs s: $ours items/s; Python's parser alone on the same files: $reference items/s; ratio ${ratio}×"
done
# Ingesting the same files again stores nothing new: how fast is "already stored"?
secs=$(ingest again "$DIR/ninjs" "$MEASURED")
echo "the $MEASURED ninjs items again (all already stored): $secs s ($(rate "$MEASURED" "$secs") items/s)"
