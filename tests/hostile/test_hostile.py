#!/usr/bin/env python3
"""Hostile clients against `blocsim serve`, on loopback only (Python 3 standard library alone).

Starts `blocsim serve baseline --port 0 --threads 2` and runs each case below: every case asserts
the status the server answers (or that it closes the connection, where that is the right answer),
and right after it a normal client must get `GET /api/setup` answered 200 within 1 second. The
server's peak resident memory (VmHWM) and thread count are printed after every case, and the suite
fails if the peak exceeds RSS_BOUND_MB. Every loop is bounded in count and time; the whole suite
takes about a minute (the timeout cases wait for the server's 10 s limits).

Usage: python3 tests/hostile/test_hostile.py [path/to/blocsim]   (default target/release/blocsim)
"""
import http.client
import json
import resource
import selectors
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The server's own limits (src/server/mod.rs): mirrored here to size the attacks.
MAX_BODY = 64 * 1024
MAX_STREAMS = 16
MAX_CONNECTIONS = 128
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0
# The idle server holds about 11 MB. Everything the transport keeps is bounded: 128 connections with
# 16 KiB buffers each (about 4 MB at most), 16 streams sharing at most 32 queued frames, 8 route
# threads. 64 MB is that and a margin of several times; a server that buffered the 100 MB header
# line or the 100,000 headers (or gave each slow client a thread) would pass it.
RSS_BOUND_MB = 64
# A normal request during or after an attack must be answered within this.
NORMAL_WITHIN = 1.0


class Server:
    def __init__(self, binary):
        self.proc = subprocess.Popen([str(binary), "serve", "baseline", "--port", "0", "--threads", "2"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        url = line.split()[2]
        assert url.startswith("http://127.0.0.1:"), line
        self.host = url[len("http://"):].rstrip("/")
        self.port = int(self.host.rsplit(":", 1)[1])
        status, body = self.get("/api/setup")
        assert status == 200, body
        self.token = json.loads(body)["token"]

    def get(self, path, timeout=NORMAL_WITHIN):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request("GET", path, headers={"Host": self.host})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def status(self, key):
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        raise KeyError(key)

    def rss_mb(self):
        return self.status("VmRSS") / 1024

    def peak_mb(self):
        return self.status("VmHWM") / 1024

    def threads(self):
        return self.status("Threads")

    def page_headers(self):
        """The headers of a state-changing request from the server's own page."""
        return f"Origin: http://{self.host}\r\nX-Blocsim-Token: {self.token}\r\n"

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def connect(srv, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    return s


def read_reply(s, limit=1 << 20):
    """Everything the server sends until it closes (or the socket's timeout); b"" if it closed at once."""
    out = b""
    try:
        while len(out) < limit:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    return out


def status_of(reply):
    try:
        return int(reply.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return None


def exchange(srv, data, timeout=5.0):
    """Send `data` on a fresh connection; the status and whole reply."""
    s = connect(srv, timeout)
    try:
        s.sendall(data)
        reply = read_reply(s)
    finally:
        s.close()
    return status_of(reply), reply


def request(srv, method, path, headers="", body=b"", host=None):
    head = f"{method} {path} HTTP/1.1\r\nHost: {host or srv.host}\r\n{headers}"
    if body or method in ("POST", "PUT"):
        head += f"Content-Length: {len(body)}\r\n"
    return exchange(srv, (head + "Connection: close\r\n\r\n").encode() + body)


def expect(got, want, what):
    assert got == want, f"{what}: expected {want}, got {got}"


# ---------------------------------------------------------------------------------------- cases

def dns_rebinding_hosts(srv):
    wrong_port = srv.port + 1 if srv.port < 65535 else srv.port - 1
    for host in [f"127.evil.example:{srv.port}", f"127.0.0.1.nip.io:{srv.port}", f"127.0.0.1:{wrong_port}"]:
        status, reply = request(srv, "GET", "/api/setup", host=host)
        expect(status, 421, f"Host {host}")
        assert b'"field":"host"' in reply, reply[-200:]


def cross_site_posts(srv):
    status, _ = request(srv, "POST", "/api/pin?job=1", "Origin: http://evil.example\r\n")
    expect(status, 403, "another site's Origin without a token")
    status, _ = request(srv, "POST", "/api/pin?job=1")
    expect(status, 403, "no Origin")


def world_size_bomb(srv):
    spec = json.dumps({"start": "baseline", "sets": ['world.source="synthetic"', "world.synthetic.agents=5000000",
                                                      "world.synthetic.degree=50"]}).encode()
    before = srv.rss_mb()
    t = time.monotonic()
    status, reply = request(srv, "POST", "/api/run", srv.page_headers() + "Content-Type: application/json\r\n", spec)
    took = time.monotonic() - t
    expect(status, 422, "a world of 5 million states")
    assert b"keeps the baseline" in reply, reply[-300:]
    assert took < 1.0, f"refused after {took:.2f} s"
    grew = srv.rss_mb() - before
    assert grew < 20, f"resident memory grew by {grew:.0f} MB"


def send_until_answered(srv, head, filler, total):
    """Send `head` then `filler` repeatedly up to `total` bytes, stopping as soon as the server
    answers or closes; returns (status or None, bytes sent)."""
    s = connect(srv)
    sent = 0
    try:
        s.sendall(head)
        sel = selectors.DefaultSelector()
        sel.register(s, selectors.EVENT_READ)
        while sent < total:
            if sel.select(timeout=0):
                break
            try:
                s.sendall(filler)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(filler)
        sel.close()
        s.settimeout(5.0)
        return status_of(read_reply(s)), sent
    finally:
        s.close()


def huge_header_line(srv):
    before = srv.rss_mb()
    head = f"GET /api/setup HTTP/1.1\r\nHost: {srv.host}\r\nX-Big: ".encode()
    status, sent = send_until_answered(srv, head, b"a" * 65536, 100 * 1024 * 1024)
    assert status in (431, None), f"expected 431 or a closed connection, got {status}"
    assert sent < 50 * 1024 * 1024, f"the server read {sent} bytes of one header line"
    grew = srv.rss_mb() - before
    assert grew < 5, f"resident memory grew by {grew:.1f} MB"
    return f"{status or 'closed'} once {sent // 1024} KiB were pushed into the socket"


def a_hundred_thousand_headers(srv):
    head = f"GET /api/setup HTTP/1.1\r\nHost: {srv.host}\r\n".encode()
    lines = b"".join(b"X-H%d: v\r\n" % i for i in range(1000))
    status, sent = send_until_answered(srv, head, lines, 100 * len(lines))
    expect(status, 431, "100,000 headers")
    return f"431 once {sent // 1024} KiB were pushed into the socket"


def slowloris(srv):
    """300 clients send their head a byte every 2 s: a normal client is served meanwhile, the
    threads stay few, and every slow client is cut off (by the head's 10 s limit, or earlier when
    a newcomer takes the place of the one idle longest)."""
    n, start = 300, time.monotonic()
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(n):
        s = connect(srv)
        s.setblocking(False)
        s.send(b"GET / HTTP/1.1\r\n")
        sel.register(s, selectors.EVENT_READ, i)
        socks.append(s)
    open_ = set(range(n))
    closed_at = {}
    worst, most_threads, last_drip = 0.0, 0, 0.0
    while open_ and time.monotonic() - start < HEADER_TIMEOUT + 8:
        now = time.monotonic()
        if now - last_drip >= 2.0:
            last_drip = now
            for i in list(open_):
                try:
                    socks[i].send(b"X")
                except OSError:
                    open_.discard(i)
                    closed_at[i] = now - start
        for key, _ in sel.select(timeout=0.2):
            i = key.data
            try:
                data = socks[i].recv(4096)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data or i in open_:
                open_.discard(i)
                closed_at.setdefault(i, time.monotonic() - start)
                sel.unregister(socks[i])
        t = time.monotonic()
        status, _ = srv.get("/api/setup")
        worst = max(worst, time.monotonic() - t)
        expect(status, 200, "a normal client during the attack")
        most_threads = max(most_threads, srv.threads())
    sel.close()
    for s in socks:
        s.close()
    assert not open_, f"{len(open_)} slow clients still connected after {time.monotonic() - start:.0f} s"
    last = max(closed_at.values())
    assert last <= HEADER_TIMEOUT + 3, f"the last slow client was cut off after {last:.1f} s"
    assert worst < NORMAL_WITHIN, f"a normal request took {worst:.2f} s"
    assert most_threads <= 16, f"{most_threads} threads"
    return f"normal request at worst {worst * 1000:.0f} ms, at most {most_threads} threads, last cut at {last:.1f} s"


def open_streams(srv, n):
    """`n` connections asking for the event stream; their sockets and statuses."""
    socks, statuses, retry = [], [], []
    for _ in range(n):
        s = connect(srv)
        s.sendall(f"GET /api/events HTTP/1.1\r\nHost: {srv.host}\r\n\r\n".encode())
        socks.append(s)
    for s in socks:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 4096:
            b = s.recv(4096)
            if not b:
                break
            head += b
        statuses.append(status_of(head))
        retry.append(b"\r\nretry-after: 1\r\n" in head.lower())
    return socks, statuses, retry


def event_streams_beyond_the_limit(srv):
    socks, statuses, retry = open_streams(srv, 64)
    try:
        expect(statuses.count(200), MAX_STREAMS, "streams accepted")
        expect(statuses.count(503), 64 - MAX_STREAMS, "streams refused")
        assert all(r for st, r in zip(statuses, retry) if st == 503), "a 503 without Retry-After: 1"
    finally:
        for s in socks:
            s.close()
    left = time.monotonic()
    status, _ = srv.get("/api/setup")
    expect(status, 200, "a normal request after the streams left")
    # Their places are free again: as many new streams are accepted.
    deadline = left + 2.0
    while True:
        socks, statuses, _ = open_streams(srv, MAX_STREAMS)
        for s in socks:
            s.close()
        if statuses.count(200) == MAX_STREAMS or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    expect(statuses.count(200), MAX_STREAMS, "new streams after the old ones left")
    return f"{MAX_STREAMS} new streams accepted {time.monotonic() - left:.2f} s after 64 left"


def read_events_until(s, marker, seconds):
    """Read a stream until `marker` is seen, it ends, or `seconds` pass; (bytes read, ended)."""
    s.settimeout(0.5)
    data, end = b"", time.monotonic() + seconds
    while marker not in data and time.monotonic() < end:
        try:
            b = s.recv(1 << 16)
        except socket.timeout:
            continue
        except ConnectionResetError:
            return data, True
        if not b:
            return data, True
        data += b
    return data, False


def stream_reader_that_stops_reading(srv):
    """A page that opens the stream and reads nothing while jobs send a few MB of news (progress is
    throttled, so 24 short jobs from 24 tabs, queued one after another, each with its `queued`,
    `started`, `progress` and `final` events): its queue fills and the server drops it (its stream
    ends without the last job's final event), while a page that reads gets every event to it."""
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", srv.port))
    stalled.sendall(f"GET /api/events HTTP/1.1\r\nHost: {srv.host}\r\n\r\n".encode())
    reader = connect(srv)
    reader.sendall(f"GET /api/events HTTP/1.1\r\nHost: {srv.host}\r\n\r\n".encode())
    try:
        for tab in range(24):
            spec = json.dumps({"start": "dsr-surge", "runs": 40, "seed": tab, "tab": f"t{tab}"}).encode()
            status, reply = request(srv, "POST", "/api/run", srv.page_headers() + "Content-Type: application/json\r\n", spec)
            expect(status, 202, f"job of tab {tab}")
        job = json.loads(reply.partition(b"\r\n\r\n")[2])["job"]
        last = f"event: final\nid: {job}\n".encode()
        data, _ = read_events_until(reader, last, 60)
        assert last in data, f"the reading page got no final event of the last job ({len(data)} bytes)"
        got, ended = read_events_until(stalled, last, 5)
        assert ended, f"the stalled stream was still open ({len(got)} bytes read)"
        assert last not in got, "the stalled stream got every event: nothing was dropped"
        return f"reader {len(data) // 1024} KiB to the last final event; stalled page dropped after {len(got) // 1024} KiB"
    finally:
        stalled.close()
        reader.close()


def connections_beyond_the_limit(srv):
    """128 connections each stuck in a body that never comes (busy): the next one gets 503."""
    head = (f"POST /api/run HTTP/1.1\r\nHost: {srv.host}\r\n{srv.page_headers()}"
            f"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n").encode()
    socks = []
    try:
        for _ in range(MAX_CONNECTIONS):
            s = connect(srv)
            s.sendall(head)
            socks.append(s)
        time.sleep(0.3)
        t = time.monotonic()
        status, reply = exchange(srv, f"GET /api/setup HTTP/1.1\r\nHost: {srv.host}\r\n\r\n".encode())
        took = time.monotonic() - t
        expect(status, 503, "one connection more than the limit")
        assert b"\r\nretry-after: 1\r\n" in reply.lower(), reply[:300]
        assert took < NORMAL_WITHIN, f"503 after {took:.2f} s"
    finally:
        for s in socks:
            s.close()
    # The server learns of the 128 closes (their body reads fail) before the normal request.
    time.sleep(0.1)
    return f"503 in {took * 1000:.0f} ms"


def head_has_no_body(srv):
    status, reply = request(srv, "HEAD", "/")
    expect(status, 200, "HEAD /")
    head, _, body = reply.partition(b"\r\n\r\n")
    expect(body, b"", "HEAD's body")
    assert b"content-length:" in head.lower(), head


def invalid_utf8_request_line(srv):
    for line in [b"GET /\xff\xfe HTTP/1.1", b"G\xc3\x28T / HTTP/1.1", b"GET / HTTP/\xff.1", b"\x00\x01\x02"]:
        status, _ = exchange(srv, line + f"\r\nHost: {srv.host}\r\n\r\n".encode())
        expect(status, 400, f"request line {line!r}")


def bodies_over_the_limit(srv):
    json_page = srv.page_headers() + "Content-Type: application/json\r\n"
    # Content-Length says too much: refused before a byte of the body is read (none is sent).
    head = f"POST /api/run HTTP/1.1\r\nHost: {srv.host}\r\n{json_page}Content-Length: {MAX_BODY + 1}\r\n\r\n"
    s = connect(srv)
    try:
        s.sendall(head.encode())
        expect(status_of(read_reply(s)), 413, "Content-Length over the limit")
    finally:
        s.close()
    # Chunked: refused at the limit, whatever follows.
    head = f"POST /api/run HTTP/1.1\r\nHost: {srv.host}\r\n{json_page}Transfer-Encoding: chunked\r\n\r\n".encode()
    chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"
    status, sent = send_until_answered(srv, head, chunk, 100 * 1024 * 1024)
    expect(status, 413, "a chunked body over the limit")
    return f"chunked: 413 once {sent // 1024} KiB were pushed into the socket"


def body_that_never_comes(srv):
    """A promised body that never comes gets 408 and is closed after BODY_TIMEOUT; meanwhile a
    keep-alive connection left idle after its answer is closed after HEADER_TIMEOUT."""
    idle = connect(srv, timeout=HEADER_TIMEOUT + 5)
    idle.sendall(f"GET /api/pins HTTP/1.1\r\nHost: {srv.host}\r\n\r\n".encode())
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
        more = idle.recv(65536)
        if not more:
            break
        answer += more
    answered = time.monotonic()
    expect(status_of(answer), 200, "the keep-alive request")
    head = (f"POST /api/run HTTP/1.1\r\nHost: {srv.host}\r\n{srv.page_headers()}"
            f"Content-Type: application/json\r\nContent-Length: {MAX_BODY}\r\n\r\n{{\"start\":").encode()
    s = connect(srv, timeout=BODY_TIMEOUT + 5)
    t = time.monotonic()
    try:
        s.sendall(head)
        reply = read_reply(s)
        took = time.monotonic() - t
        rest = read_reply(idle)
        idle_for = time.monotonic() - answered
    finally:
        s.close()
        idle.close()
    assert status_of(reply) in (408, None), reply[:200]
    assert BODY_TIMEOUT - 1 <= took <= BODY_TIMEOUT + 3, f"closed after {took:.1f} s"
    expect(rest, b"", "what the idle keep-alive connection received")
    assert HEADER_TIMEOUT - 1 <= idle_for <= HEADER_TIMEOUT + 3, f"idle keep-alive closed after {idle_for:.1f} s"
    return f"{status_of(reply) or 'closed'} after {took:.1f} s; idle keep-alive closed after {idle_for:.1f} s"


def bad_requests(srv):
    json_page = srv.page_headers() + "Content-Type: application/json\r\n"
    status, _ = request(srv, "POST", "/api/run", srv.page_headers() + "Content-Type: text/plain\r\n", b"{}")
    expect(status, 415, "a POST that is not JSON")
    status, reply = request(srv, "POST", "/api/run", json_page, b'{"start":')
    expect(status, 400, "bad JSON")
    assert b"not valid JSON" in reply, reply[-200:]
    status, _ = request(srv, "GET", "/no/such/page")
    expect(status, 404, "an unknown path")
    status, _ = request(srv, "GET", "/api/run")
    expect(status, 405, "GET on /api/run")
    status, _ = request(srv, "DELETE", "/api/setup", srv.page_headers())
    expect(status, 405, "DELETE on /api/setup")


CASES = [dns_rebinding_hosts, cross_site_posts, world_size_bomb, huge_header_line, a_hundred_thousand_headers,
         head_has_no_body, invalid_utf8_request_line, bodies_over_the_limit, bad_requests,
         event_streams_beyond_the_limit, stream_reader_that_stops_reading, connections_beyond_the_limit, slowloris,
         body_that_never_comes]


def normal_request(srv):
    t = time.monotonic()
    status, _ = srv.get("/api/setup")
    took = time.monotonic() - t
    expect(status, 200, "a normal GET /api/setup right after")
    assert took < NORMAL_WITHIN, f"a normal GET /api/setup right after took {took:.2f} s"
    return took


def main():
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "target" / "release" / "blocsim"
    if not binary.exists():
        print(f"hostile test: {binary} is not built (cargo build --release)", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    # 300 slow clients and 128 stuck ones need file descriptors on both sides (the server inherits this).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (4096 if hard == resource.RLIM_INFINITY else min(4096, hard), hard))
    srv = Server(binary)
    passed = failed = 0
    try:
        print(f"server {srv.host}: idle VmRSS {srv.rss_mb():.1f} MB, {srv.threads()} threads; bound {RSS_BOUND_MB} MB")
        for case in CASES:
            t = time.monotonic()
            try:
                note = case(srv)
                took = time.monotonic() - t
                normal = normal_request(srv)
                peak = srv.peak_mb()
                assert peak <= RSS_BOUND_MB, f"peak resident memory {peak:.1f} MB over {RSS_BOUND_MB} MB"
                passed += 1
                print(f"ok     {case.__name__:34} {took:6.2f} s  normal {normal * 1000:5.1f} ms  "
                      f"VmHWM {peak:5.1f} MB  threads {srv.threads():3}  {note or ''}")
            except (AssertionError, OSError) as e:
                failed += 1
                print(f"FAILED {case.__name__:34} {time.monotonic() - t:6.2f} s  {type(e).__name__}: {e}")
            sys.stdout.flush()
        print(f"peak VmHWM {srv.peak_mb():.1f} MB (bound {RSS_BOUND_MB} MB), VmRSS now {srv.rss_mb():.1f} MB")
    finally:
        srv.stop()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
