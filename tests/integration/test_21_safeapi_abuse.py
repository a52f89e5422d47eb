"""Abuse limits of the safe API (issue 7 item 3): a per-client token
bucket (safeapi_rate, safeapi_burst) answering 429 with Retry-After; the
client is the socket peer, or the last X-Forwarded-For hop only when the
peer is trusted_proxy; slow clients are dropped after safeapi_timeout_s;
connections per address are capped; oversized requests and request bodies
are refused; the service stays up throughout.

127.0.0.2 is a second client address: the client socket is bound to it
(the whole of 127.0.0.0/8 is on the loopback interface).  No timed
assertion beyond generous deadlines.
"""
import http.client
import socket
import threading
import time

import pytest


def get(node, path="/status2/", src="127.0.0.1", headers=None):
    """One GET from source address src: (status, headers, body)."""
    c = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10,
                                   source_address=(src, 0))
    try:
        c.request("GET", path, headers=headers or {})
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read()
    finally:
        c.close()


def flood(node, n, src="127.0.0.1", headers=None):
    """n GETs on one keep-alive connection: the list of statuses."""
    c = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10,
                                   source_address=(src, 0))
    out = []
    try:
        for _ in range(n):
            c.request("GET", "/status2/", headers=headers or {})
            r = c.getresponse()
            r.read()
            out.append(r.status)
    finally:
        c.close()
    return out


def test_21_01_flood_limited_other_address_served(fresh_node):
    """A flood from 127.0.0.1 gets 429s (JSON detail, Retry-After) while
    127.0.0.2, flooding nothing, is served throughout."""
    n = fresh_node("safeapi_rate = 2\nsafeapi_burst = 5\n")
    statuses = flood(n, 40)
    assert 429 in statuses and statuses.count(200) <= 5 + 4, statuses
    st, hdr, body = get(n)
    assert st == 429
    assert int(hdr["Retry-After"]) >= 1
    assert hdr["Content-Type"] == "application/json"
    import json
    assert json.loads(body) == {"detail": "Too Many Requests"}

    # A flood running from 127.0.0.1 in the background; 127.0.0.2 asks
    # a few times meanwhile and is always answered.
    stop = threading.Event()
    seen = []

    def flooder():
        while not stop.is_set():
            seen.extend(flood(n, 50))
    t = threading.Thread(target=flooder)
    t.start()
    try:
        for _ in range(4):
            st, _, body = get(n, src="127.0.0.2")
            assert st == 200, body
            assert json.loads(body)["name"] == "testvpn"
            time.sleep(0.3)
    finally:
        stop.set()
        t.join(30)
    assert seen.count(429) > seen.count(200)
    assert "rate limit: 127.0.0.1 refused" in n.log("safeapi")


def test_21_02_forwarded_for_only_from_trusted_proxy(fresh_node):
    """With trusted_proxy = 127.0.0.1, requests from it count against
    the last X-Forwarded-For hop (earlier hops, the client's own text, are
    ignored); from 127.0.0.2, not the proxy, the header is ignored."""
    n = fresh_node("safeapi_rate = 1\nsafeapi_burst = 3\n"
                   "trusted_proxy = 127.0.0.1\n")
    a = {"X-Forwarded-For": "203.0.113.5"}
    assert 429 in flood(n, 10, headers=a)
    # another client behind the proxy is served, whatever it claims
    # before the proxy's hop
    for spoof in ("203.0.113.6", "203.0.113.5, 203.0.113.6",
                  "garbage, 203.0.113.6"):
        st, _, _ = get(n, headers={"X-Forwarded-For": spoof})
        assert st == 200, spoof
    # and 203.0.113.5 is still limited, also when it claims to be
    # someone else first
    assert get(n, headers={"X-Forwarded-For": "198.51.100.1, 203.0.113.5"}
               )[0] == 429
    # From an untrusted peer the header is ignored: varying it does not
    # give 127.0.0.2 fresh buckets.
    statuses = [get(n, src="127.0.0.2",
                    headers={"X-Forwarded-For": f"192.0.2.{i}"})[0]
                for i in range(10)]
    assert 429 in statuses and statuses.count(200) <= 3 + 2, statuses
    # An IPv6 client behind the proxy is its own client too.
    assert get(n, headers={"X-Forwarded-For": "2001:db8::7"})[0] == 200


def test_21_03_bad_forwarded_for_counts_against_proxy(fresh_node):
    """From the trusted proxy, an unusable header (a port, a name, two
    addresses in one hop) counts against the proxy itself: never a
    500, and the client gains nothing by sending it."""
    n = fresh_node("safeapi_rate = 1\nsafeapi_burst = 3\n"
                   "trusted_proxy = 127.0.0.1\n")
    bad = ["203.0.113.5:80", "localhost", "1.2.3.4 5.6.7.8",
           "[2001:db8::1]", "1.2.3.4,"]
    statuses = [get(n, headers={"X-Forwarded-For": b})[0] for b in bad * 2]
    assert set(statuses) <= {200, 429} and 429 in statuses, statuses
    # a well-formed header is still someone else
    assert get(n, headers={"X-Forwarded-For": "203.0.113.9"})[0] == 200
    n.wait_log("safeapi", "X-Forwarded-For")


def test_21_04_slow_client_dropped(fresh_node):
    """A client that sends its headers byte by byte and then stalls is
    dropped after safeapi_timeout_s while others are served; more
    connections than safeapi_max_conn_per_addr from one address are
    refused, another address still served."""
    n = fresh_node("safeapi_rate = 0\nsafeapi_timeout_s = 2\n"
                   "safeapi_max_conn_per_addr = 8\n")
    slow = socket.create_connection(("127.0.0.1", n.port), timeout=30)
    try:
        for ch in b"GET /status2/ HTTP/1.1\r\nHost: x\r\nX-Slow: ":
            slow.sendall(bytes([ch]))
            time.sleep(0.05)
        # stalled: others are served meanwhile
        assert get(n)[0] == 200
        t0 = time.monotonic()
        try:
            data = slow.recv(4096)
        except ConnectionResetError:
            data = b""
        assert data == b"" or b" 408 " in data.split(b"\r\n")[0]
        assert time.monotonic() - t0 < 25
    finally:
        slow.close()

    # 12 connections from 127.0.0.1, each asking once: at most 8 are
    # answered, the others closed unanswered; 127.0.0.2 is served
    # meanwhile.
    conns = [socket.create_connection(("127.0.0.1", n.port), timeout=10)
             for _ in range(12)]
    try:
        time.sleep(0.2)
        answered = 0
        for s in conns:
            try:
                s.sendall(b"GET /status2/ HTTP/1.1\r\nHost: x\r\n\r\n")
                if s.recv(4096).startswith(b"HTTP/1.1 200"):
                    answered += 1
            except (BrokenPipeError, ConnectionResetError):
                pass
        assert 1 <= answered <= 8, answered
        assert get(n, src="127.0.0.2")[0] == 200
    finally:
        for s in conns:
            s.close()
    # the idle ones are gone after the timeout: 127.0.0.1 is served again
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if get(n)[0] == 200:
                break
        except OSError:
            pass
        time.sleep(0.2)
    else:
        pytest.fail("127.0.0.1 not served again")


def raw(node, data, timeout=10):
    """Send raw bytes, read until the server closes or timeout: the
    status line's code (0: closed without an answer)."""
    s = socket.create_connection(("127.0.0.1", node.port), timeout=timeout)
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        buf = b""
        try:
            while len(buf) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                buf += chunk
                if b"\r\n\r\n" in buf:
                    break
        except (ConnectionResetError, socket.timeout):
            pass
        line = buf.split(b"\r\n", 1)[0].split()
        return int(line[1]) if len(line) >= 2 else 0
    finally:
        s.close()


def test_21_05_oversized_and_bodies_refused(fresh_node):
    """Headers past safeapi_max_request, an over-long URL and request
    bodies are refused (431/414/413, or closed unanswered); the
    service stays up, the same process."""
    n = fresh_node("safeapi_rate = 0\nsafeapi_max_request = 8192\n")
    pid = n.pids()["safeapi"]
    big = b"X-Big: " + b"a" * 20000 + b"\r\n"
    assert raw(n, b"GET /status2/ HTTP/1.1\r\nHost: x\r\n" + big +
               b"\r\n") in (0, 413, 431)
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 100) for i in range(200))
    assert raw(n, b"GET /status2/ HTTP/1.1\r\nHost: x\r\n" + many +
               b"\r\n") in (0, 413, 431)
    assert raw(n, b"GET /status2/?" + b"q" * 20000 +
               b" HTTP/1.1\r\nHost: x\r\n\r\n") in (0, 413, 414, 431)
    # bodies: refused before they are read (405 for methods this API
    # does not have, as without a body; 413 for GET, HEAD, OPTIONS)
    for method, code in ((b"GET", 413), (b"OPTIONS", 413), (b"POST", 405),
                         (b"PUT", 405)):
        assert raw(n, method + b" /status2/ HTTP/1.1\r\nHost: x\r\n"
                   b"Content-Length: 5\r\n\r\nhello") == code, method
    assert raw(n, b"GET /status2/ HTTP/1.1\r\nHost: x\r\n"
               b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
               ) == 413
    # a large announced body is not waited for
    assert raw(n, b"GET /status2/ HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: 100000000\r\n\r\n") == 413
    assert raw(n, b"POST /status2/ HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: 100000000\r\n\r\n") == 405
    # Content-Length: 0 is no body
    assert raw(n, b"GET /status2/ HTTP/1.1\r\nHost: x\r\n"
               b"Content-Length: 0\r\n\r\n") == 200
    assert get(n)[0] == 200
    assert n.pids()["safeapi"] == pid
