#!/usr/bin/env bash
# WordPress import: builds the release binary, writes a WXR export of POSTS posts shaped like the
# WordPress sample (bench/wordpress-wxr.py), and times `dateline import wordpress` of it into a
# fresh database, printing posts per second and the peak resident memory (GNU time), against
# Python's own XML parser streaming the same file in the same run (a reader alone, no converting
# or storing). Prints figures; asserts nothing.
#
#   bench/wordpress.sh                                   SQLite, 100,000 posts
#   POSTS=20000 bench/wordpress.sh                       fewer
#   DATABASE=postgres://root@127.0.0.1:5432/dateline_wp bench/wordpress.sh   PostgreSQL (dropped
#                                                        and created anew)
set -euo pipefail
cd "$(dirname "$0")/.."
POSTS=${POSTS:-100000}
DIR=$(mktemp -d /tmp/dateline-wordpress-bench.XXXXXX)
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
mkdir -p "$DIR/data"
python3 bench/wordpress-wxr.py --out "$DIR/export.xml" --posts "$POSTS"
size=$(du -m "$DIR/export.xml" | cut -f1)
echo "WordPress import on ${DATABASE%%:*}: $POSTS posts, a ${size} MB WXR file"

reference=$(python3 - "$DIR/export.xml" <<'EOF'
import sys, time
import xml.etree.ElementTree as ET
start = time.perf_counter()
items = 0
for event, element in ET.iterparse(sys.argv[1], events=("end",)):
    if element.tag == "item":
        items += 1
        element.clear()
print(f"{items / (time.perf_counter() - start):.0f}")
EOF
)

/usr/bin/time -v -o "$DIR/time.txt" "$BIN" --database "$DATABASE" --data-dir "$DIR/data" \
  import wordpress "$DIR/export.xml" > "$DIR/report.txt"
secs=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$DIR/time.txt" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
peak=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2 / 1024}' "$DIR/time.txt")
rate=$(python3 -c "print(f'{$POSTS / $secs:,.0f}')")
ratio=$(python3 -c "print(f'{($POSTS / $secs) / $reference:.2f}')")
grep -E "^  (posts|article|redirect)" "$DIR/report.txt" | sed 's/^/  /'
echo "import: $POSTS posts in $secs s: $rate posts/s, peak RSS $peak MB"
echo "Python's XML parser alone streaming the same file: $(python3 -c "print(f'{$reference:,}')") items/s; ratio ${ratio}×"
