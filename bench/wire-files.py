#!/usr/bin/env python3
"""Writes agency files for the wire ingest benchmark: ninjs arrays or NewsML-G2 newsMessages of
realistic items (a headline, a standfirst, six paragraphs with an agency dateline), each file
holding --per-file items with ids from --start. Also times parsing them with Python's own JSON and
XML parsers (--parse DIR), the reference the benchmark prints its rate against."""

import argparse
import json
import os
import random
import sys
import time
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

WORDS = ("minister said talks budget Karachi Islamabad court flood relief province election "
         "assembly opposition senate cricket trade exports rupee inflation monsoon police "
         "hospital students energy gas prices reform committee report").split()
CITIES = ["ISLAMABAD", "KARACHI", "LAHORE", "PESHAWAR", "QUETTA", "MULTAN"]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def item(rng: random.Random, i: int) -> dict:
    city = rng.choice(CITIES)
    paragraphs = [sentence(rng, 30) + " " + sentence(rng, 25) for _ in range(6)]
    paragraphs[0] = f"{city}, Apr 16 (APP): " + paragraphs[0]
    minute = i % (60 * 24 * 365)
    return {
        "id": f"urn:bench:app:{i}",
        "created": f"2024-{1 + minute // (60 * 24 * 31) % 12:02d}-{1 + minute // (60 * 24) % 28:02d}T{minute // 60 % 24:02d}:{minute % 60:02d}:00Z",
        "headline": sentence(rng, 9)[:-1],
        "standfirst": sentence(rng, 22),
        "paragraphs": paragraphs,
    }


def ninjs(items: list[dict]) -> str:
    return json.dumps([{
        "uri": it["id"], "version": "1", "type": "text", "language": "en",
        "versioncreated": it["created"], "firstcreated": it["created"], "pubstatus": "usable",
        "headline": it["headline"], "description_text": it["standfirst"],
        "body_html": "".join(f"<p>{escape(p)}</p>" for p in it["paragraphs"]),
    } for it in items])


def newsml(items: list[dict]) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>',
             '<newsMessage xmlns="http://iptc.org/std/nar/2006-10-01/"><header><sent>2024-04-16T10:00:00Z</sent></header><itemSet>']
    for it in items:
        body = "".join(f"<p>{escape(p)}</p>" for p in it["paragraphs"])
        parts.append(
            f'<newsItem guid="{it["id"]}" version="1" standard="NewsML-G2" standardversion="2.35">'
            f'<itemMeta><itemClass qcode="ninat:text"/><provider qcode="nprov:APP"/>'
            f'<versionCreated>{it["created"]}</versionCreated><pubStatus qcode="stat:usable"/></itemMeta>'
            f'<contentMeta><language tag="en"/><headline>{escape(it["headline"])}</headline>'
            f'<description role="drol:summary">{escape(it["standfirst"])}</description></contentMeta>'
            f'<contentSet><inlineXML contenttype="application/nitf+xml">'
            f'<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><body><body.content>{body}</body.content></body></nitf>'
            f'</inlineXML></contentSet></newsItem>')
    parts.append("</itemSet></newsMessage>")
    return "".join(parts)


def write(args) -> None:
    os.makedirs(args.out, exist_ok=True)
    rng = random.Random(args.seed)
    for f in range(args.files):
        first = args.start + f * args.per_file
        items = [item(rng, i) for i in range(first, first + args.per_file)]
        ext, text = ("json", ninjs(items)) if args.format == "ninjs" else ("xml", newsml(items))
        with open(os.path.join(args.out, f"{args.format}-{first:08d}.{ext}"), "w") as out:
            out.write(text)


def parse(directory: str) -> None:
    """Items per second for Python's parsers alone over every file in `directory`."""
    items, started = 0, time.perf_counter()
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.endswith(".json"):
            with open(path) as f:
                items += len(json.load(f))
        else:
            items += sum(1 for e in ET.parse(path).getroot().iter() if e.tag.endswith("newsItem"))
    secs = time.perf_counter() - started
    print(f"{items} {secs:.3f}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--out")
    p.add_argument("--format", choices=["ninjs", "newsml-g2"], default="ninjs")
    p.add_argument("--files", type=int, default=10)
    p.add_argument("--per-file", type=int, default=1000)
    p.add_argument("--start", type=int, default=0)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--parse")
    args = p.parse_args()
    if args.parse:
        parse(args.parse)
    elif args.out:
        write(args)
    else:
        sys.exit("give --out DIR or --parse DIR")


if __name__ == "__main__":
    main()
