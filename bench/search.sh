#!/usr/bin/env bash
# Search benchmark: p50/p95 latency of a reader query mix and the index size, over generated
# corpora of 10k, 100k and 1M articles.
#
#   bench/search.sh [SIZES...]        e.g. bench/search.sh 10000 100000
#
# Corpora and indexes go to $BENCH_DIR (default /tmp/dateline-bench) and are reused by later runs
# (the index is rebuilt only when the database has changed or its schema is older). ROUNDS (default 20) sets how many
# times the mix runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_DIR=${BENCH_DIR:-/tmp/dateline-bench}
ROUNDS=${ROUNDS:-20}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(10000 100000 1000000)
mkdir -p "$BENCH_DIR"
cargo build --release --bin dateline -p dateline --quiet
cargo build --release -p dateline-search --example search_bench --quiet
for n in "${SIZES[@]}"; do
  db="$BENCH_DIR/corpus-$n.db"
  if [ ! -f "$db" ]; then
    echo "== generating $n articles into $db"
    ./target/release/dateline generate --articles "$n" --database "sqlite:$db" --data-dir "$BENCH_DIR"
  fi
  echo "== $n articles"
  # The index directory `dateline serve --data-dir corpus-N.data` uses (bench/run.sh shares it).
  ./target/release/examples/search_bench "sqlite:$db" "$BENCH_DIR/corpus-$n.data/search-index" "$ROUNDS"
done
