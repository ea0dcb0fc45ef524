#!/usr/bin/env bash
# Feeds and sitemaps over a generated archive: fills a fresh SQLite database with N generated
# articles (default 100000), serves it, and prints the time of each feed and sitemap request
# (first and second fetch) with its size.
#
#   bench/syndication.sh [N]            uses target/release/dateline (built if missing)
#   DATELINE_BIN=target/debug/dateline bench/syndication.sh 100000
#   BENCH_DIR=/path/with/a/corpus bench/syndication.sh   reuses a database generated before
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-100000}"
bin="${DATELINE_BIN:-target/release/dateline}"
[ -x "$bin" ] || cargo build --release
dir="${BENCH_DIR:-bench/out/syndication-$n}"
mkdir -p "$dir"
db="sqlite:$dir/dateline.db"
if [ ! -f "$dir/dateline.db" ]; then
  "$bin" --data-dir "$dir" --database "$db" generate --articles "$n"
fi
"$bin" --data-dir "$dir" --database "$db" migrate
port=$((20000 + RANDOM % 10000))
"$bin" --data-dir "$dir" --database "$db" serve --no-demo --addr "127.0.0.1:$port" 2>"$dir/serve.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
section=$(curl -fs "http://127.0.0.1:$port/sitemaps/sections.xml" | grep -o '/section/[^<]*' | head -n 1)
pages=$(curl -fs "http://127.0.0.1:$port/sitemap.xml" | grep -c 'articles-' || true)
echo "articles: $n; article sitemap pages: $pages"
printf '%-34s %8s %8s %10s\n' path first second bytes
for path in /feed.xml /feed.atom /feed.json "$section/feed.xml" /sitemap.xml /sitemaps/sections.xml \
            /sitemaps/news.xml /sitemaps/articles-1.xml "/sitemaps/articles-$pages.xml" /robots.txt; do
  first=$(curl -s -o /dev/null -w '%{time_total}' "http://127.0.0.1:$port$path")
  read -r second bytes < <(curl -s -o /dev/null -w '%{time_total} %{size_download}\n' "http://127.0.0.1:$port$path")
  printf '%-34s %7.3fs %7.3fs %10s\n' "$path" "$first" "$second" "$bytes"
done
