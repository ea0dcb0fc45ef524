"""Prints N random article paths of a Dateline SQLite database, for wrk's random-path.lua."""
import random
import sqlite3
import sys

db, count = sys.argv[1], int(sys.argv[2])
conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
(top,) = conn.execute("SELECT MAX(id) FROM articles").fetchone()
ids = random.Random(7).sample(range(1, top + 1), min(count, top))
rows = []
for chunk in range(0, len(ids), 500):
    part = ids[chunk:chunk + 500]
    marks = ",".join("?" * len(part))
    rows += conn.execute(
        f"SELECT slug FROM articles WHERE status = 'published' AND id IN ({marks})", part
    ).fetchall()
for (slug,) in rows:
    print("/" + slug)
