#!/usr/bin/env python3
"""hclient.py: raw-socket HTTP clients for tests/system/query_http.sh (127.0.0.1 only).

  hclient.py fuzz PORT COUNT SEED KEY      random and malformed paths/query strings over
                                           keep-alive connections; every answer must be a
                                           well-formed HTTP/1.1 status line with a status
                                           from the API's list, and error bodies one line
  hclient.py huge PORT KEY                 a request with 1 MiB of headers and one with a
                                           100 KiB request line: refused, server survives
  hclient.py slow PORT KEY PATH PID SECS   reads PATH slowly (16 KiB per 20 ms) for SECS
                                           seconds, samples server PID's RSS, then closes
                                           mid-stream; prints "rss_growth_kb N read N"
  hclient.py drain PORT KEY PATH RATE      reads the whole answer at RATE bytes/s, prints
                                           "status N bytes N lines N last LINE"
  hclient.py drop PORT KEY PATH N BYTES    N clients each read BYTES of PATH and close
  hclient.py hold PORT KEY PATH SECS       starts PATH, reads nothing for SECS, then closes
Prints one result line; exits 1 on a protocol violation (with the reason on stderr)."""
import os
import random
import re
import socket
import sys
import time

ALLOWED = {200, 400, 403, 404, 405, 413, 414, 415, 416, 429, 431, 501, 503}
STATUS_RE = re.compile(rb"^HTTP/1\.[01] (\d{3}) [^\r\n]*\r\n")


def connect(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def request(path, key, accept="application/x-ndjson", extra=b""):
    h = b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if key:
        h += b"X-API-Key: " + key.encode() + b"\r\n"
    if accept:
        h += b"Accept: " + accept.encode() + b"\r\n"
    return h + extra + b"\r\n"


class Reader:
    """Buffered reads; the buffer only holds what was received and not yet consumed."""

    def __init__(self, sock):
        self.s = sock
        self.buf = bytearray()

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        self.buf += d

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                break
            self.fill()
        l = bytes(self.buf[:i])
        del self.buf[:i + 2]
        return l

    def exact(self, n):
        while len(self.buf) < n:
            self.fill()
        d = bytes(self.buf[:n])
        del self.buf[:n]
        return d

    def response(self):
        """status, headers (lowercase dict), body, keep_alive"""
        first = self.line() + b"\r\n"
        m = STATUS_RE.match(first)
        if not m:
            raise ValueError("bad status line %r" % first[:80])
        status = int(m.group(1))
        hdr = {}
        while True:
            l = self.line()
            if not l:
                break
            if b":" not in l:
                raise ValueError("bad header line %r" % l[:80])
            k, v = l.split(b":", 1)
            hdr[k.strip().lower().decode()] = v.strip().decode("latin-1")
        parts = []
        if hdr.get("transfer-encoding", "").lower() == "chunked":
            while True:
                n = int(self.line().split(b";")[0], 16)
                if n == 0:
                    self.line()
                    break
                parts.append(self.exact(n))
                self.exact(2)
        elif "content-length" in hdr:
            parts.append(self.exact(int(hdr["content-length"])))
        else:
            try:
                while True:
                    self.fill()
                    parts.append(bytes(self.buf))
                    del self.buf[:]
            except EOFError:
                pass
        ka = hdr.get("connection", "").lower() != "close" and first.startswith(b"HTTP/1.1")
        return status, hdr, b"".join(parts), ka


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    return 0


ALPH = b"abcdefghijklmnopqrstuvwxyz0123456789-._~%*+,/?&=:;@![]()$'\\\" \t<>{}|^`#\x00\x01\x7f\xff\xc3\xa9"
PIECES = [b"/dnsdb/v2/lookup/rrset/name/", b"/dnsdb/v2/lookup/rdata/ip/", b"/dnsdb/v2/summarize/rrset/name/",
          b"/dnsdb/v2/lookup/rdata/name/", b"/dnsdb/v2/lookup/rdata/raw/", b"/dnsdb/v2/lookup/rrset/raw/",
          b"/lookup/rrset/name/", b"/pdns/query/", b"/dnsdb/v2/rate_limit", b"/dnsdb/v2/ping", b"/", b"//",
          b"www.tdw", b"%2A.tdw", b"tdw.%2A", b"+.tdw", b"%", b"%2", b"%zz", b"%00", b"%2F", b"A", b"ANY", b"ANY-DNSSEC",
          b"TYPE65535", b"TYPE99999", b"10.0.0.1", b"10.0.0.0,8", b"10.0.0.0,33", b"10.0.0.9-10.0.0.1",
          b"2001%3Adb8%3A%3A,32", b"::1", b"00", b"0", b"abc", b"?limit=", b"?limit=0", b"?limit=-1",
          b"?limit=99999999999999999999999", b"&offset=5", b"&offset=-1", b"?aggr=f", b"&humantime=t",
          b"&time_first_before=-100", b"&time_last_after=x", b"&max_count=3", b"&swclient=dnsdbq",
          b"&version=2.6.8", b"&id=a:b", b"&id=", b"&unknown=1", b"&limit=1&limit=2", b"/" * 20, b"a" * 70,
          b"%41" * 30, b"x." * 130]


def rand_path(rng):
    if rng.random() < 0.3:
        n = rng.randint(1, 300)
        return b"/" + bytes(rng.choice(ALPH) for _ in range(n))
    p = b"".join(rng.choice(PIECES) for _ in range(rng.randint(1, 6)))
    if not p.startswith(b"/"):
        p = b"/" + p
    return p


def clean(p):
    # a request target may not hold spaces, CR, LF: a raw HTTP client would not send them either
    return p.replace(b" ", b"%20").replace(b"\r", b"%0D").replace(b"\n", b"%0A").replace(b"\t", b"%09")


def cmd_fuzz(port, count, seed, key):
    rng = random.Random(seed)
    done = 0
    seen = {}
    s = r = None
    while done < count:
        if s is None:
            s = connect(port)
            r = Reader(s)
        path = clean(rand_path(rng))
        accept = rng.choice(["application/x-ndjson", "application/json", "*/*", "text/html", None,
                             "application/json;q=0.5, application/x-ndjson"])
        k = key if rng.random() < 0.9 else rng.choice(["", "tdk_bogus", key + "x"])
        s.sendall(request(path, k, accept))
        try:
            status, hdr, body, ka = r.response()
        except Exception as e:
            sys.stderr.write("request %d %r: %s\n" % (done, path[:120], e))
            return 1
        seen[status] = seen.get(status, 0) + 1
        if status not in ALLOWED:
            sys.stderr.write("status %d for %r\n" % (status, path[:120]))
            return 1
        if status != 200 and hdr.get("content-type", "").startswith("text/plain"):
            if not body.endswith(b"\n") or body.count(b"\n") != 1:
                sys.stderr.write("error body not one line for %r: %r\n" % (path[:120], body[:200]))
                return 1
        if status == 200 and hdr.get("content-type") == "application/x-ndjson" and body and not body.endswith(b"\n"):
            sys.stderr.write("200 body not ending in newline for %r\n" % path[:120])
            return 1
        done += 1
        if not ka or rng.random() < 0.05:
            s.close()
            s = None
    print("fuzz %d requests, statuses %s" % (done, " ".join("%d:%d" % kv for kv in sorted(seen.items()))))
    return 0


def cmd_huge(port, key):
    out = []
    for name, req in (("headers", request(b"/dnsdb/v2/ping", key, extra=b"X-Junk: " + b"a" * (1 << 20) + b"\r\n")),
                      ("many-headers", request(b"/dnsdb/v2/ping", key,
                                               extra=b"".join(b"X-H%d: v\r\n" % i for i in range(20000)))),
                      ("line", request(b"/dnsdb/v2/lookup/rrset/name/" + b"a" * 100000, key))):
        s = connect(port)
        try:
            s.sendall(req)
        except OSError:
            pass
        try:
            status, _, _, _ = Reader(s).response()
            out.append("%s:%d" % (name, status))
        except (EOFError, OSError, ValueError):
            out.append("%s:closed" % name)
        s.close()
    print("huge " + " ".join(out))
    return 0


def start_stream(port, key, path, small=False):
    s = connect(port)
    if small:  # a small window: the server's output backs up at once (loopback TCP then crawls)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.sendall(request(path.encode(), key))
    return s


def cmd_slow(port, key, path, pid, secs):
    s = start_stream(port, key, path, True)
    base = rss_kb(pid)
    peak = base
    got = 0
    t_end = time.time() + secs
    while time.time() < t_end:
        d = s.recv(16384)
        if not d:
            break
        got += len(d)
        peak = max(peak, rss_kb(pid))
        time.sleep(0.02)
    s.close()
    print("rss_growth_kb %d read %d" % (peak - base, got))
    return 0


def cmd_drain(port, key, path, rate):
    s = start_stream(port, key, path)
    r = Reader(s)
    t0 = time.time()
    total = [0]
    orig = r.fill

    def fill():
        n0 = len(r.buf)
        orig()
        total[0] += len(r.buf) - n0
        lag = total[0] / rate - (time.time() - t0) if rate > 0 else 0
        if lag > 0:
            time.sleep(lag)
    r.fill = fill
    status, hdr, body, _ = r.response()
    lines = body.split(b"\n")
    last = lines[-2] if len(lines) > 1 else b""
    print("status %d bytes %d lines %d last %s" % (status, len(body), body.count(b"\n"), last.decode()))
    return 0


def cmd_drop(port, key, path, n, nbytes):
    for _ in range(n):
        s = start_stream(port, key, path)
        got = 0
        while got < nbytes:
            d = s.recv(65536)
            if not d:
                break
            got += len(d)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    print("dropped %d" % n)
    return 0


def cmd_hold(port, key, path, secs):
    s = start_stream(port, key, path, True)
    s.recv(1)  # the answer has started: the query is in flight
    print("started", flush=True)
    time.sleep(secs)
    s.close()
    print("held")
    return 0


def main(a):
    c = a[1]
    if c == "fuzz":
        return cmd_fuzz(int(a[2]), int(a[3]), int(a[4]), a[5])
    if c == "huge":
        return cmd_huge(int(a[2]), a[3])
    if c == "slow":
        return cmd_slow(int(a[2]), a[3], a[4], int(a[5]), float(a[6]))
    if c == "drain":
        return cmd_drain(int(a[2]), a[3], a[4], float(a[5]))
    if c == "drop":
        return cmd_drop(int(a[2]), a[3], a[4], int(a[5]), int(a[6]))
    if c == "hold":
        return cmd_hold(int(a[2]), a[3], a[4], float(a[5]))
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
