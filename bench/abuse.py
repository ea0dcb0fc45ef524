#!/usr/bin/env python3
"""Load-and-abuse run against a Dateline server on loopback.

Replays the attacks of the security review (junk query strings against the page cache, slow and
idle connections, a connection flood, sign-in bursts from one and from many addresses, hostile
input, huge revision diffs, huge image uploads), then soaks the server at saturation (cached and
uncached pages, searches, feeds, sign-ins and saves) while it samples the server's memory, open
file descriptors and `/healthz` latency. Prints figures and how they compare with the goals;
asserts nothing and exits 0 unless it could not run.

Every loop is bounded in count and time, and the only target is an address on this machine.
Started by bench/abuse.sh, which builds the server, fills a database and makes an account.
Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import os
import random
import re
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import urllib.parse
import zlib

# ---------------------------------------------------------------- a small HTTP/1.1 client


class Answer:
    def __init__(self, status: int, headers: dict[str, list[str]], body: bytes):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None

    def cookies(self) -> dict[str, str]:
        jar = {}
        for value in self.headers.get("set-cookie", []):
            name, _, rest = value.partition("=")
            jar[name.strip()] = rest.split(";", 1)[0]
        return jar

    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Target:
    def __init__(self, host: str, port: int):
        self.host = host
        self.port = port

    async def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes = b"",
        source: str | None = None,
        timeout: float = 30.0,
    ) -> Answer:
        return await asyncio.wait_for(
            self._request(method, path, headers or {}, body, source), timeout
        )

    async def _request(self, method, path, headers, body, source) -> Answer:
        local = (source, 0) if source else None
        reader, writer = await asyncio.open_connection(self.host, self.port, local_addr=local)
        try:
            head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close"]
            if body or method == "POST":
                head.append(f"Content-Length: {len(body)}")
            head += [f"{k}: {v}" for k, v in headers.items()]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            raw = await reader.read()
        finally:
            writer.close()
        return parse_answer(raw)


def parse_answer(raw: bytes) -> Answer:
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or not lines[0].startswith("HTTP/"):
        raise ConnectionError(f"no HTTP answer ({len(raw)} bytes)")
    status = int(lines[0].split()[1])
    headers: dict[str, list[str]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    if "chunked" in ",".join(headers.get("transfer-encoding", [])).lower():
        body = bytearray()
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0] or b"0", 16)
            if size == 0:
                break
            body += rest[:size]
            rest = rest[size + 2 :]
        rest = bytes(body)
    return Answer(status, headers, rest)


def form(fields: dict[str, str]) -> bytes:
    return urllib.parse.urlencode(fields).encode()


FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# ---------------------------------------------------------------- the server process, sampled


class Process:
    def __init__(self, pid: int):
        self.pid = pid

    def _status(self, key: str) -> float:
        try:
            with open(f"/proc/{self.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def rss_mb(self) -> float:
        return self._status("VmRSS")

    def peak_rss_mb(self) -> float:
        return self._status("VmHWM")

    def rss_parts(self) -> str:
        """What the resident memory is: the heap's (anonymous) pages and mapped files' (the search
        index) pages, and the threads that may each keep an allocator arena."""
        anon, files, threads = self._status("RssAnon"), self._status("RssFile"), self._status("Threads") * 1024
        return f"anonymous {anon:.0f} MB, files {files:.0f} MB, {threads:.0f} threads"

    def fds(self) -> int:
        try:
            return len(os.listdir(f"/proc/{self.pid}/fd"))
        except OSError:
            return -1

    def alive(self) -> bool:
        return os.path.exists(f"/proc/{self.pid}")


class Sampler:
    """Every half second: the server's RSS and open descriptors, and how long /healthz takes.

    The probes run in a process of their own at normal priority, as a health check from another
    machine would; the attacks and the soak's load run at a lower one (as wrk does), so that on a
    shared machine the attacking client does not take the CPU the server needs to answer, and the
    probe's latency is the server's, not the script's own scheduling."""

    def __init__(self, target: Target, process: Process):
        self.target = target
        self.process = process
        self.samples: list[tuple[float, float, int, float | None]] = []
        # The step under way when each sample was taken, so the slowest probe can be placed.
        self.steps: list[str] = []
        self.step = "start"
        self._task: asyncio.Task | None = None
        self._prober: asyncio.subprocess.Process | None = None

    async def start(self):
        self._prober = await asyncio.create_subprocess_exec(
            sys.executable, os.path.abspath(__file__), "--probe",
            f"http://{self.target.host}:{self.target.port}", str(self.process.pid),
            stdout=subprocess.PIPE,
        )
        self._task = asyncio.create_task(self._run())

    async def stop(self):
        if self._prober:
            self._prober.terminate()
            await self._prober.wait()
        if self._task:
            # The prober's last lines are read to its end of output.
            await self._task

    async def _run(self):
        assert self._prober and self._prober.stdout
        while line := await self._prober.stdout.readline():
            t, rss, fds, latency = line.decode().split()
            self.samples.append((float(t), float(rss), int(fds), None if latency == "-" else float(latency)))
            self.steps.append(self.step)


    def since(self, t: float):
        return [s for s in self.samples if s[0] >= t]

    def slowest(self, t: float) -> str:
        """Where the slowest probes since `t` fell: the step, with its worst latency."""
        worst: dict[str, float] = {}
        for sample, step in zip(self.samples, self.steps):
            if sample[0] >= t:
                latency = 5000.0 if sample[3] is None else sample[3]
                worst[step] = max(worst.get(step, 0.0), latency)
        slow = sorted(worst.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{step} {ms:.0f} ms" for step, ms in slow)


async def probe(url: str, pid: int):
    """The prober's loop: a sample every half second on standard output, one line each."""
    parts = urllib.parse.urlsplit(url)
    target = Target(parts.hostname or "127.0.0.1", parts.port or 80)
    process = Process(pid)
    while process.alive():
        t0 = time.monotonic()
        try:
            answer = await target.request("GET", "/healthz", timeout=5)
            latency = (time.monotonic() - t0) * 1000 if answer.status == 200 else None
        except Exception:  # any failure to answer is a failed probe, and the prober goes on
            latency = None
        shown = "-" if latency is None else f"{latency:.3f}"
        print(f"{time.monotonic():.3f} {process.rss_mb():.1f} {process.fds()} {shown}", flush=True)
        await asyncio.sleep(max(0.0, 0.5 - (time.monotonic() - t0)))

def health_summary(samples) -> str:
    latencies = [s[3] for s in samples if s[3] is not None]
    failed = sum(1 for s in samples if s[3] is None)
    if not samples:
        return "no samples"
    worst = max(latencies) if latencies else float("nan")
    return (
        f"/healthz max {worst:.1f} ms, p99 {percentile(latencies, 99):.1f} ms, "
        f"{failed} of {len(samples)} probes failed or took over 5 s; "
        f"RSS {min(s[1] for s in samples):.0f}–{max(s[1] for s in samples):.0f} MB; "
        f"open fds up to {max(s[2] for s in samples)}"
    )


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def tally(statuses) -> str:
    counts: dict[str, int] = {}
    for s in statuses:
        counts[str(s)] = counts.get(str(s), 0) + 1
    return ", ".join(f"{k}×{v}" for k, v in sorted(counts.items()))


def unexpected(statuses) -> int:
    """Answers that are neither a page nor a deliberate refusal: 5xx but 503, and failures."""
    return sum(1 for s in statuses if not isinstance(s, int) or (s >= 500 and s != 503))


async def gather_bounded(n: int, concurrency: int, make):
    semaphore = asyncio.Semaphore(concurrency)

    async def one(i):
        async with semaphore:
            try:
                return (await make(i)).status
            except (OSError, asyncio.TimeoutError, ConnectionError) as e:
                return type(e).__name__

    return await asyncio.gather(*(one(i) for i in range(n)))


# ---------------------------------------------------------------- the newsroom, as a client


class Newsroom:
    def __init__(self, target: Target, email: str, password: str):
        self.target = target
        self.email = email
        self.password = password
        self.cookie = ""
        self.csrf = ""
        # The owner's browser keeps the known-device cookie a successful sign-in sets.
        self.device = ""

    async def login_form(self, source=None) -> tuple[str, str]:
        page = await self.target.request("GET", "/admin/login", source=source)
        token = page.cookies().get("dateline_login", "")
        return token, token

    async def attempt(self, password: str, source=None, email=None, next_path="/admin",
                      owner=False) -> Answer:
        """A sign-in; `owner` sends the owner's known-device cookie, as their browser would."""
        cookie, csrf = await self.login_form(source)
        fields = {"email": email or self.email, "password": password, "csrf": csrf, "next": next_path}
        cookies = f"dateline_login={cookie}"
        if owner and self.device:
            cookies += f"; dateline_device={self.device}"
        answer = await self.target.request(
            "POST",
            "/admin/login",
            headers={**FORM, "Cookie": cookies},
            body=form(fields),
            source=source,
        )
        if owner and answer.cookies().get("dateline_device"):
            self.device = answer.cookies()["dateline_device"]
        return answer

    async def sign_in(self) -> None:
        for _ in range(10):
            answer = await self.attempt(self.password, owner=True)
            session = answer.cookies().get("dateline_session")
            if answer.status in (302, 303) and session:
                self.cookie = f"dateline_session={session}"
                page = await self.get("/admin/articles/new")
                found = re.search(r'name="csrf" value="([^"]+)"', page.text())
                self.csrf = found.group(1) if found else ""
                return
            await asyncio.sleep(2)
        raise SystemExit(f"abuse: cannot sign in as {self.email} (last answer {answer.status})")

    async def get(self, path: str) -> Answer:
        return await self.target.request("GET", path, headers={"Cookie": self.cookie})

    async def post(self, path: str, fields: dict[str, str], timeout=60.0) -> Answer:
        fields = {"csrf": self.csrf, **fields}
        return await self.target.request(
            "POST", path, headers={**FORM, "Cookie": self.cookie}, body=form(fields), timeout=timeout
        )

    async def new_article(self, headline: str, body: str) -> tuple[int, int]:
        answer = await self.post(
            "/admin/articles",
            {"headline": headline, "standfirst": "A standfirst.", "body": body,
             "section": "Pakistan", "tags": "", "authors": "", "language": "en"},
        )
        location = answer.header("location") or ""
        found = re.search(r"/admin/articles/(\d+)", location)
        if not found:
            raise SystemExit(f"abuse: could not create an article ({answer.status}): {answer.text()[:300]}")
        article = int(found.group(1))
        return article, await self.base(article)

    async def base(self, article: int) -> int:
        page = await self.get(f"/admin/articles/{article}")
        found = re.search(r'name="base" value="(\d+)"', page.text())
        return int(found.group(1)) if found else 0

    async def save(self, article: int, base: int, body: str, step: str = "") -> Answer:
        path = f"/admin/articles/{article}" + (f"/{step}" if step else "")
        return await self.post(
            path,
            {"base": str(base), "headline": f"Soak story {article}", "standfirst": "A standfirst.",
             "body": body, "section": "Pakistan", "tags": "", "authors": "", "language": "en"},
        )


# ---------------------------------------------------------------- the attacks


async def junk_queries(target: Target, process: Process, slug: str, n: int):
    before = process.rss_mb()
    pad = "a" * 60_000

    def make(i):
        path = f"/sitemap.xml?x={i}&p={pad}" if i % 2 else f"/{slug}?x={i}"
        return target.request("GET", path)

    statuses = await gather_bounded(n, 32, make)
    report(
        "junk query strings",
        f"{n} requests: {tally(statuses)}; RSS {before:.0f} → {process.rss_mb():.0f} MB",
        unexpected(statuses),
    )


async def slow_connections(target: Target, hold: float, count: int):
    """Header tricklers, body tricklers and silent connections: how many does the server close?"""

    async def trickle(kind: str):
        try:
            reader, writer = await asyncio.open_connection(target.host, target.port)
        except OSError:
            return "refused"
        try:
            if kind == "body":
                writer.write(b"POST /admin/login HTTP/1.1\r\nHost: x\r\nContent-Type: "
                             b"application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\n")
            elif kind == "header":
                writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n")
            deadline = time.monotonic() + hold
            while time.monotonic() < deadline:
                if kind != "silent":
                    writer.write(b"a" if kind == "body" else b"X-A: b\r\n")
                    await writer.drain()
                try:
                    data = await asyncio.wait_for(reader.read(4096), 2.0)
                    if data == b"":
                        return "closed"
                    # An answer (408, 503) and then the close.
                    rest = await asyncio.wait_for(reader.read(), 5.0)
                    return "answered, then closed" if rest == b"" else "answered"
                except asyncio.TimeoutError:
                    continue
            return "held open"
        except (OSError, ConnectionError):
            return "closed"
        finally:
            writer.close()

    results = await asyncio.gather(
        *(trickle(kind) for kind in ("header", "body", "silent") for _ in range(count))
    )
    by_kind = {
        kind: tally(results[i * count : (i + 1) * count])
        for i, kind in enumerate(("header", "body", "silent"))
    }
    held = sum(1 for r in results if r == "held open")
    report(
        "slow and silent connections",
        f"{count} of each held for up to {hold:.0f} s: "
        + "; ".join(f"{k}: {v}" for k, v in by_kind.items()),
        held,
    )


async def connection_flood(target: Target, count: int):
    writers = []
    opened = refused = 0
    for _ in range(count):
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(target.host, target.port), 5)
            writers.append(writer)
            opened += 1
        except (OSError, asyncio.TimeoutError):
            refused += 1
    await asyncio.sleep(1)
    probes = []
    for _ in range(5):
        t0 = time.monotonic()
        try:
            answer = await target.request("GET", "/healthz", timeout=5)
            probes.append(f"{answer.status} in {(time.monotonic() - t0) * 1000:.0f} ms")
        except (OSError, asyncio.TimeoutError, ConnectionError) as e:
            probes.append(type(e).__name__)
    for writer in writers:
        writer.close()
    await asyncio.sleep(1)
    after = await target.request("GET", "/healthz", timeout=5)
    hung = sum(1 for p in probes if "Timeout" in p)
    report(
        "connection flood",
        f"{opened} idle connections opened ({refused} refused); /healthz meanwhile: "
        f"{', '.join(probes)}; after closing them: {after.status}",
        hung + (after.status != 200),
    )


async def sign_in_bursts(target: Target, process: Process, newsroom: Newsroom):
    before = process.peak_rss_mb()
    statuses = await gather_bounded(
        100, 100, lambda i: newsroom.attempt(f"wrong password {i}", source="127.0.0.2"))
    report(
        "sign-in burst, one address",
        f"100 at once on the editor's account, wrong password: {tally(statuses)} "
        f"(401 = a password was checked)",
        unexpected(statuses),
    )
    owner = await newsroom.attempt(newsroom.password, owner=True)
    report("the owner signs in meanwhile", f"from their known device: {owner.status}",
           int(owner.status not in (302, 303)))
    statuses = await gather_bounded(
        100, 100,
        lambda i: newsroom.attempt(f"wrong password {i}", source=f"127.0.{1 + i // 250}.{1 + i % 250}",
                                   email=f"someone{i}@example.com"),
    )
    report(
        "sign-in burst, 100 addresses",
        f"100 at once: {tally(statuses)}; peak RSS {before:.0f} → {process.peak_rss_mb():.0f} MB",
        unexpected(statuses),
    )


async def hostile_inputs(target: Target, newsroom: Newsroom, article: int, base: int):
    attempts = [
        ("GET", "/%FF%FE", None),
        ("GET", "/admin/articles/abc/publish", None),
        ("GET", "/search?q=%00", None),
        ("GET", "/search?q=" + "%01" * 500, None),
        ("GET", "/feed.xml?x=%00", None),
        ("GET", "/section/%00", None),
        ("GET", "/" + "a" * 20_000, None),
    ]
    statuses = []
    for method, path, _ in attempts:
        try:
            statuses.append((await target.request(method, path)).status)
        except (OSError, asyncio.TimeoutError, ConnectionError) as e:
            statuses.append(type(e).__name__)
    for path in ("/admin?q=%00", "/admin/read-more?q=%00", "/admin/articles/%FF", "/admin/audit?page=-1"):
        statuses.append((await newsroom.get(path)).status)
    statuses.append((await newsroom.attempt("x" * 12, email="a\x00b@example.com")).status)
    statuses.append((await newsroom.attempt(newsroom.password, next_path="/admin\r\nX: y",
                                            owner=True)).status)
    statuses.append((await newsroom.save(article, base, "A body with a NUL \x00 in it.\n")).status)
    statuses.append((await newsroom.save(article, base, "Autosaved \x00.\n", "autosave")).status)
    statuses.append((await newsroom.post("/admin/preview", {"body": "::: read-more 999999\n"})).status)
    report("hostile input", f"{len(statuses)} requests: {tally(statuses)}", unexpected(statuses))


async def huge_diff(target: Target, newsroom: Newsroom, sampler: Sampler):
    article, base = await newsroom.new_article("Diff target", "First line.\n")
    statuses = []
    numbers = []
    for variant in ("a", "b"):
        body = "".join(f"line {i} {variant}\n" for i in range(32_000))
        answer = await newsroom.save(article, await newsroom.base(article), body)
        statuses.append(answer.status)
        numbers.append(await newsroom.base(article))
    t0 = time.monotonic()
    path = f"/admin/articles/{article}/diff?from={numbers[0]}&to={numbers[1]}"
    diffs = await asyncio.gather(*(newsroom.get(path) for _ in range(2)), return_exceptions=True)
    statuses += [d.status if isinstance(d, Answer) else type(d).__name__ for d in diffs]
    report(
        "two 32,000-line revisions diffed twice at once",
        f"{tally(statuses)}; diffs answered in {time.monotonic() - t0:.1f} s; "
        + health_summary(sampler.since(t0)),
        unexpected(statuses),
    )


def png(width: int, height: int, depth: int) -> bytes:
    """A flat-colour PNG: tiny on disk, huge when decoded."""
    channels = 3
    row = b"\x00" + b"\x80" * (width * channels * depth // 8)
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(
            ">I", zlib.crc32(kind + payload) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", width, height, depth, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


async def big_uploads(target: Target, process: Process, newsroom: Newsroom):
    wide = png(6324, 6324, 8)
    deep = png(6000, 6000, 16)
    before = process.peak_rss_mb()

    async def upload(data: bytes, i: int) -> Answer:
        boundary = f"dateline{i}{random.randrange(1 << 30)}"
        parts = []
        for name, value in (("csrf", newsroom.csrf), ("alt", "A flat picture"),
                            ("caption", "A caption"), ("credit", "Abuse run")):
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big{i}.png"\r\n'
            f"Content-Type: image/png\r\n\r\n".encode() + data + b"\r\n"
        )
        parts.append(f"--{boundary}--\r\n".encode())
        return await target.request(
            "POST", "/admin/media",
            headers={"Cookie": newsroom.cookie, "Content-Type": f"multipart/form-data; boundary={boundary}"},
            body=b"".join(parts), timeout=120,
        )

    answers = await asyncio.gather(*(upload(wide, i) for i in range(6)), upload(deep, 6),
                                   return_exceptions=True)
    statuses = [a.status if isinstance(a, Answer) else type(a).__name__ for a in answers]
    report(
        "image uploads",
        f"six {len(wide) // 1024} KB 6,324² PNGs and one 16-bit 6,000² PNG at once: {tally(statuses)}; "
        f"peak RSS {before:.0f} → {process.peak_rss_mb():.0f} MB",
        unexpected(statuses),
    )


# ---------------------------------------------------------------- the soak


async def soak(target: Target, process: Process, sampler: Sampler, newsroom: Newsroom,
               slugs: list[str], seconds: int, warmup: int):
    words = ["budget", "election", "Karachi", "flood", "court", "minister", "cricket", "\"prime minister\"",
             "trade*", "-visit imran", "کراچی", "energy", "Putin"]
    paths = []
    for slug in slugs[:50]:
        paths += [f"/{slug}"] * 4  # cached
    for slug in slugs:
        paths.append(f"/{slug}")  # mostly cold once, then cached
    paths += [f"/search?q={urllib.parse.quote(w)}" for w in words] * 5
    paths += [f"/search?q={urllib.parse.quote(w)}&page={p}" for w in words for p in range(2, 6)]
    paths += ["/", "/feed.xml", "/feed.atom", "/feed.json", "/sitemap.xml", "/sitemaps/news.xml",
              "/section/pakistan", "/section/pakistan/feed.xml"] * 10
    paths += [f"/{slug}?utm_source=x{i}" for i, slug in enumerate(slugs[:200])]
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as f:
        f.write("\n".join(paths) + "\n")
        paths_file = f.name
    lua = os.path.join(os.path.dirname(os.path.abspath(__file__)), "random-path.lua")
    # The load generator shares this machine with the server; at the script's lower CPU priority
    # (nice 10) it still saturates the server but does not take the CPU the server needs to answer
    # it (in production the load comes from other machines).
    wrk = await asyncio.create_subprocess_exec(
        "wrk", "-t2", "-c64", f"-d{seconds}s", "--latency", "-s", lua, f"http://{target.host}:{target.port}",
        env={**os.environ, "PATHS": paths_file}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    start = time.monotonic()
    deadline = start + seconds
    statuses: list = []
    latencies: list[float] = []

    async def signs():
        i = 0
        while time.monotonic() < deadline:
            i += 1
            t0 = time.monotonic()
            try:
                if i % 10 == 0:
                    answer = await newsroom.attempt(newsroom.password, owner=True)
                else:
                    answer = await newsroom.attempt(f"wrong {i}", source=f"127.0.9.{1 + i % 250}",
                                                    email=f"nobody{i % 7}@example.com")
                statuses.append(answer.status)
                latencies.append((time.monotonic() - t0) * 1000)
            except (OSError, asyncio.TimeoutError, ConnectionError) as e:
                statuses.append(type(e).__name__)

    async def saves(n: int):
        article, _ = await newsroom.new_article(f"Soak story {n}", "First.\n")
        i = 0
        while time.monotonic() < deadline:
            i += 1
            t0 = time.monotonic()
            try:
                base = await newsroom.base(article)
                answer = await newsroom.save(article, base, f"Paragraph {i}.\n\n" * (1 + i % 40),
                                             "autosave" if i % 3 else "")
                statuses.append(answer.status)
                latencies.append((time.monotonic() - t0) * 1000)
            except (OSError, asyncio.TimeoutError, ConnectionError) as e:
                statuses.append(type(e).__name__)
            await asyncio.sleep(0.05)

    await asyncio.gather(signs(), signs(), saves(1), saves(2))
    out, _ = await wrk.communicate()
    os.unlink(paths_file)
    text = out.decode()
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    p99 = re.search(r"\s99%\s+(\S+)", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket_errors = re.search(r"Socket errors: (.*)", text)
    warm = sampler.since(start + warmup)
    # RSS swings by tens of MB with the load from one sample to the next; flatness compares the
    # median of the first minute after warm-up with the median of the last minute.
    minutes = rss_by_minute(warm)
    rss_start = minutes[0] if minutes else float("nan")
    rss_end = minutes[-1] if minutes else float("nan")
    print("RSS by minute after warm-up (median MB): " + " ".join(f"{m:.0f}" for m in minutes), flush=True)
    report(
        f"soak, {seconds} s at saturation",
        f"wrk {rps.group(1) if rps else '?'} req/s, p99 {p99.group(1) if p99 else '?'}, "
        f"non-2xx/3xx {non2xx.group(1) if non2xx else 0}"
        f"{', socket errors ' + socket_errors.group(1) if socket_errors else ''}; "
        f"newsroom {len(statuses)} sign-ins and saves: {tally(statuses)}, p99 {percentile(latencies, 99):.0f} ms; "
        f"RSS median of the first minute after {warmup} s warm-up {rss_start:.0f} MB, of the last {rss_end:.0f} MB "
        f"({(rss_end - rss_start) / rss_start * 100 if rss_start else 0:+.1f} %); "
        + health_summary(warm),
        unexpected(statuses) + (int(non2xx.group(1)) if non2xx else 0),
    )
    return rss_start, rss_end


def rss_by_minute(samples) -> list[float]:
    """The median RSS of each whole minute of `samples` (a last partial minute is left out)."""
    if not samples:
        return []
    t0 = samples[0][0]
    buckets: dict[int, list[float]] = {}
    for t, rss, _fds, _latency in samples:
        buckets.setdefault(int((t - t0) // 60), []).append(rss)
    whole = sorted(buckets)[:-1] if len(buckets) > 1 else sorted(buckets)
    return [statistics.median(buckets[m]) for m in whole]


# ---------------------------------------------------------------- the run

FINDINGS: list[tuple[str, int]] = []


STEPS = ["junk", "slow", "flood", "sign-in", "hostile", "diff", "uploads", "soak"]


def report(name: str, detail: str, problems: int):
    FINDINGS.append((name, problems))
    mark = "ok " if problems == 0 else f"{problems:3d}!"
    print(f"[{mark}] {name}: {detail}", flush=True)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:18090")
    parser.add_argument("--pid", type=int, required=True, help="the server's process id")
    parser.add_argument("--email", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--soak", type=int, default=600, help="seconds of soak (default 600)")
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--hold", type=float, default=75,
                        help="seconds slow connections are held (past the server's 60 s body deadline)")
    parser.add_argument("--junk", type=int, default=6000, help="junk-query requests")
    parser.add_argument("--slow", type=int, default=200, help="slow connections of each kind")
    parser.add_argument("--flood", type=int, default=1100, help="idle connections in the flood")
    parser.add_argument("--only", default=",".join(STEPS),
                        help=f"comma-separated steps to run, of: {', '.join(STEPS)} (default all)")
    args = parser.parse_args()
    only = [step.strip() for step in args.only.split(",") if step.strip()]
    unknown = [step for step in only if step not in STEPS]
    if unknown:
        parser.error(f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}")

    url = urllib.parse.urlsplit(args.url)
    host = url.hostname or "127.0.0.1"
    if not ipaddress.ip_address(socket_address(host)).is_loopback:
        raise SystemExit("abuse: the target must be on this machine (127.0.0.0/8 or ::1)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    target = Target(host, url.port or 80)
    process = Process(args.pid)
    if shutil.which("wrk") is None:
        raise SystemExit("abuse: wrk is missing (apt-get install wrk)")

    sitemap = (await target.request("GET", "/sitemaps/articles-1.xml")).text()
    slugs = [urllib.parse.unquote(s) for s in re.findall(r"<loc>https?://[^/]+/([^<]+)</loc>", sitemap)]
    slugs = [urllib.parse.quote(s) for s in slugs if s]
    random.shuffle(slugs)
    if not slugs:
        raise SystemExit("abuse: the server lists no articles")
    newsroom = Newsroom(target, args.email, args.password)
    await newsroom.sign_in()
    article, base = await newsroom.new_article("Hostile input target", "First.\n")

    sampler = Sampler(target, process)
    await sampler.start()
    # From here the script is the attacker: a lower priority than the server and the prober.
    os.nice(10)
    started = time.monotonic()
    print(f"Dateline abuse run against {args.url}, pid {args.pid}, {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}")
    print(f"start: RSS {process.rss_mb():.0f} MB, open fds {process.fds()}", flush=True)

    if "junk" in only:
        sampler.step = "junk"
        await junk_queries(target, process, slugs[0], args.junk)
    if "slow" in only:
        sampler.step = "slow"
        await slow_connections(target, args.hold, args.slow)
    if "flood" in only:
        sampler.step = "flood"
        await connection_flood(target, args.flood)
    if "sign-in" in only:
        sampler.step = "sign-in"
        await sign_in_bursts(target, process, newsroom)
        await asyncio.sleep(1)
        await newsroom.sign_in()
    if "hostile" in only:
        sampler.step = "hostile"
        await hostile_inputs(target, newsroom, article, base)
    if "diff" in only:
        sampler.step = "diff"
        await huge_diff(target, newsroom, sampler)
    if "uploads" in only:
        sampler.step = "uploads"
        await big_uploads(target, process, newsroom)
    attacks = sampler.since(started)
    if attacks and set(only) - {"soak"}:
        report("during the attacks", health_summary(attacks) + "; slowest probes in: " + sampler.slowest(started),
               sum(1 for s in attacks if s[3] is None or s[3] >= 50))
    rss_start = rss_end = 0.0
    if "soak" in only:
        sampler.step = "soak"
        rss_start, rss_end = await soak(target, process, sampler, newsroom, slugs, args.soak, args.warmup)
    await sampler.stop()

    everything = sampler.samples
    peak = process.peak_rss_mb()
    latencies = [s[3] for s in everything if s[3] is not None]
    print()
    print("goals:")
    print(f"  errors that are not a deliberate 429/503: "
          f"{sum(p for n, p in FINDINGS if n != 'during the attacks')} (goal 0)")
    print(f"  peak RSS {peak:.0f} MB (goal < 300 MB); RSS start {everything[0][1]:.0f} MB, "
          f"end {process.rss_mb():.0f} MB; after warm-up (minute medians) {rss_start:.0f} → {rss_end:.0f} MB "
          f"({(rss_end - rss_start) / rss_start * 100 if rss_start else 0:+.1f} %, goal within ±10 %)")
    print(f"  /healthz max {max(latencies) if latencies else float('nan'):.1f} ms over {len(everything)} probes, "
          f"{sum(1 for s in everything if s[3] is None)} failed (goal < 50 ms throughout)")
    print(f"  open fds at most {max(s[2] for s in everything)}; server alive at the end: {process.alive()}")
    print(f"  resident at the end: {process.rss_parts()}")


def socket_address(host: str) -> str:
    import socket

    return socket.gethostbyname(host)


if __name__ == "__main__":
    try:
        if len(sys.argv) == 4 and sys.argv[1] == "--probe":
            asyncio.run(probe(sys.argv[2], int(sys.argv[3])))
            sys.exit(0)
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(130)
