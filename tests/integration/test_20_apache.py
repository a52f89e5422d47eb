"""Real Apache (Debian's apache2) in front of a real node, with the configs
rendered from container/apache/*.conf.in by container/render-apache.py.

Public paths through the proxy are /safe-api/ and /mon/ only; /api/, /web/
and traversal tricks must not get anywhere; X-Forwarded-For is replaced by
the proxy, never passed through from the client.
"""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import ROOT, SERVICES, free_ports, require_root

APACHE = shutil.which("apache2") or "/usr/sbin/apache2"
TEMPLATES = ROOT / "container" / "apache"
RENDER = ROOT / "container" / "render-apache.py"
MONITOR = ROOT / "web" / "monitor"

@pytest.fixture(autouse=True)
def _apache_installed():
    """scripts/setup.sh installs apache2; without it these tests fail
    (they never skip)."""
    assert os.path.exists(APACHE), "apache2 missing: run scripts/setup.sh"


def render(template, **env):
    r = subprocess.run([sys.executable, str(RENDER), str(TEMPLATES / template)],
                       env={"PATH": os.environ.get("PATH", ""), **env},
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 0, r.stderr
    assert "${" not in r.stdout
    return r.stdout


def searchable(d):
    """Apache's workers run as nobody: let them search the (0700) pytest
    directories down to d, as conftest.Node does for its services."""
    for p in [d, *d.parents]:
        st = p.stat()
        if st.st_uid == 0 and not st.st_mode & 0o001:
            p.chmod((st.st_mode & 0o7777) | 0o011)


class Apache:
    def __init__(self, conf, run, ports):
        self.conf, self.run, self.ports = conf, run, ports
        searchable(run)
        t = subprocess.run([APACHE, "-t", "-f", str(conf)],
                           capture_output=True, text=True, timeout=20)
        assert t.returncode == 0, t.stdout + t.stderr
        self.proc = subprocess.Popen([APACHE, "-f", str(conf), "-DFOREGROUND"],
                                     stdout=open(run / "apache.out", "w"),
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        for p in ports:
            while True:
                assert self.proc.poll() is None, self.errors()
                try:
                    socket.create_connection(("127.0.0.1", p), 0.2).close()
                    break
                except OSError:
                    assert time.monotonic() < deadline, self.errors()
                    time.sleep(0.05)

    def errors(self):
        return "".join(p.read_text() for p in (self.run / "apache.out",
                       self.run / "error.log") if p.exists())

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def raw_get(port, path, headers=None, method="GET", tls=False):
    """One request with the path sent exactly as given (no client-side
    normalisation of .. or %-escapes)."""
    if tls:
        c = http.client.HTTPSConnection("127.0.0.1", port, timeout=10,
                                        context=ssl._create_unverified_context())
    else:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        h = {"Host": "testvpn.mupif.org", **(headers or {})}
        for k, v in h.items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


class Echo(BaseHTTPRequestHandler):
    """Stands in for a backend: answers with the request it saw."""

    def do_GET(self):
        body = json.dumps({"path": self.path,
                           "headers": {k.lower(): v for k, v in self.headers.items()}}
                          ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


@pytest.fixture
def echo():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def apaches():
    started = []
    yield started
    for a in started:
        a.stop()


def proxy_env(run, port, backend_port, trusted="192.0.2.1"):
    return dict(MUPIF_VPN_NAME="testvpn",
                MUPIF_PROXY_LISTEN=f"127.0.0.1:{port}",
                MUPIF_PROXY_USER="nobody", MUPIF_PROXY_GROUP="nogroup",
                MUPIF_PROXY_RUN_DIR=str(run),
                MUPIF_PROXY_ERROR_LOG=str(run / "error.log"),
                MUPIF_PROXY_ACCESS_LOG=str(run / "access.log"),
                MUPIF_PROXY_TRUSTED=trusted,
                MUPIF_SAFEAPI_PORT=str(backend_port),
                MUPIF_MONITOR_DIR=str(MONITOR))


def start_proxy(apaches, tmp, backend_port, **kw):
    run = tmp / f"proxy{len(apaches)}"
    run.mkdir()
    port, = free_ports(1)
    conf = run / "mupif-proxy.conf"
    conf.write_text(render("mupif-proxy.conf.in",
                           **proxy_env(run, port, backend_port, **kw)))
    apaches.append(Apache(conf, run, [port]))
    return port


NOT_REACHABLE = [
    "/api/", "/api/executions/", "/api", "/web/", "/web/login", "/web",
    "/safe-api/../api/", "/safe-api/%2e%2e/api/", "/safe-api/%2E%2E/web/",
    "/safe-api/..%2fapi/", "/safe-api/%2e%2e%2fapi/", "/mon/../api/",
    "/mon/%2e%2e/api/", "/%2e%2e/api/", "/safe-api/./../web/",
    "//api/", "/index.html", "/status2/", "/.env", "/server-status",
]


def test_proxy_in_front_of_node(fresh_node, tmp_path, apaches):
    node = fresh_node(start=False).start(wait=False)
    # Ready = the safe API's services are up (the node may run more services
    # than conftest.SERVICES names while other issues add them).
    deadline = time.monotonic() + 15
    while not (set(SERVICES) <= set(node.pids()) and node.dms_ok()):
        assert node.proc.poll() is None, node.out.read_text()
        assert time.monotonic() < deadline, node.out.read_text()
        time.sleep(0.05)
    port = start_proxy(apaches, tmp_path, node.port)
    api_port = int(next(l.split("=")[1] for l in node.conf.read_text().splitlines()
                        if l.startswith("api_port")))

    # The safe API answers through Apache with the node's JSON.
    s, h, b = raw_get(port, "/safe-api/status2/")
    assert s == 200, b
    assert h["content-type"].startswith("application/json")
    through = json.loads(b)
    direct = node.get("/status2/").json()
    assert set(through) == set(direct) and through["dms"] == "OK"
    assert h["x-content-type-options"] == "nosniff"
    assert h.get("server") == "Apache"           # ServerTokens Prod
    s, _, _ = raw_get(port, "/safe-api/ns-status2/")
    assert s == 200
    # Only GET/HEAD/OPTIONS reach the safe API.
    for m in ("POST", "PUT", "DELETE", "TRACE"):
        s, _, _ = raw_get(port, "/safe-api/status2/", method=m)
        assert s in (403, 405), m

    # The monitor page: static, revalidated, with a CSP.
    s, h, b = raw_get(port, "/mon/")
    assert s == 200 and b.lstrip().lower().startswith(b"<!doctype html")
    assert h["content-type"].startswith("text/html")
    assert h["cache-control"] == "no-cache" and "etag" in h
    assert "default-src 'self'" in h["content-security-policy"]
    assert b == (MONITOR / "index.html").read_bytes()
    s, h, _ = raw_get(port, "/mon")
    assert s == 302 and h["location"].endswith("/mon/")
    s, _, _ = raw_get(port, "/mon/", method="POST")
    assert s in (403, 405)

    # Nothing else is reachable, whatever the spelling.
    for path in NOT_REACHABLE:
        s, _, b = raw_get(port, path)
        assert s in (400, 403, 404), (path, s, b[:200])
        assert b"executions" not in b and b"dms" not in b, path
    # ...and the api port itself was never contacted through the proxy.
    log = (tmp_path / "proxy0" / "access.log").read_text()
    assert f":{api_port}" not in log
    assert "/safe-api/status2/" in log
    assert not (node.persist / "logs" / "api.log").exists() or \
        "/executions" not in node.log("api")


def test_proxy_replaces_x_forwarded_for(tmp_path, apaches, echo):
    require_root()
    # The client is not a trusted proxy: its header is thrown away.
    port = start_proxy(apaches, tmp_path, echo)
    s, _, b = raw_get(port, "/safe-api/echo", {
        "X-Forwarded-For": "6.6.6.6, 7.7.7.7", "Forwarded": "for=6.6.6.6",
        "X-Real-IP": "6.6.6.6"})
    assert s == 200
    seen = json.loads(b)
    assert seen["path"] == "/echo"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert "forwarded" not in seen["headers"] and "x-real-ip" not in seen["headers"]
    assert seen["headers"]["host"] == "testvpn.mupif.org"  # ProxyPreserveHost
    s, _, b = raw_get(port, "/safe-api/echo")
    assert json.loads(b)["headers"]["x-forwarded-for"] == "127.0.0.1"

    # Behind the trusted host proxy: the client it names is passed on, alone.
    port = start_proxy(apaches, tmp_path, echo, trusted="127.0.0.1")
    s, _, b = raw_get(port, "/safe-api/echo",
                      {"X-Forwarded-For": "203.0.113.7"})
    assert json.loads(b)["headers"]["x-forwarded-for"] == "203.0.113.7"
    s, _, b = raw_get(port, "/safe-api/echo",
                      {"X-Forwarded-For": "6.6.6.6, 203.0.113.9"})
    assert json.loads(b)["headers"]["x-forwarded-for"] == "203.0.113.9"


def test_host_vhost_tls(tmp_path, apaches, echo):
    """The host template, with a self-signed certificate made now, in a
    standalone wrapper: TLS, redirect, ACME webroot, only the public paths."""
    require_root()
    run = tmp_path / "host"
    (run / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True)
    (run / "acme" / ".well-known" / "acme-challenge" / "tok123").write_text("tok123.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-days", "1", "-subj", "/CN=testvpn.mupif.org",
                    "-keyout", str(run / "key.pem"), "-out", str(run / "cert.pem")],
                   check=True, capture_output=True, timeout=30)
    http_port, https_port = free_ports(2)
    vhost = render("host-vhost.conf.in", MUPIF_VPN_NAME="testvpn",
                   MUPIF_HTTP_PORT=str(http_port), MUPIF_HTTPS_PORT=str(https_port),
                   MUPIF_PROXY_HOST_PORT=str(echo),
                   MUPIF_ACME_WEBROOT=str(run / "acme"),
                   MUPIF_TLS_CERT=str(run / "cert.pem"),
                   MUPIF_TLS_KEY=str(run / "key.pem"))
    assert "ServerName testvpn.mupif.org" in vhost
    (run / "vhost.conf").write_text(vhost)
    mods = ["mpm_event", "authz_core", "mime", "alias", "headers", "proxy",
            "proxy_http", "ssl", "socache_shmcb"]
    (run / "httpd.conf").write_text(
        'ServerRoot "/usr/lib/apache2"\nServerName localhost\n'
        f"Listen 127.0.0.1:{http_port}\nListen 127.0.0.1:{https_port}\n"
        "User nobody\nGroup nogroup\n"
        f'PidFile "{run}/apache2.pid"\nDefaultRuntimeDir "{run}"\n'
        f'ErrorLog "{run}/error.log"\nLogLevel warn\n'
        "TypesConfig /etc/mime.types\n"
        + "".join(f"LoadModule {m}_module modules/mod_{m}.so\n" for m in mods)
        + f'Include "{run}/vhost.conf"\n')
    apaches.append(Apache(run / "httpd.conf", run, [http_port, https_port]))

    # HTTP: the ACME challenge is served, everything else goes to HTTPS.
    s, h, b = raw_get(http_port, "/.well-known/acme-challenge/tok123")
    assert s == 200 and b == b"tok123.key"
    s, h, _ = raw_get(http_port, "/mon/?x=1")
    assert s == 301 and h["location"] == "https://testvpn.mupif.org/mon/?x=1"
    s, h, _ = raw_get(http_port, "/safe-api/status2/")
    assert s == 301 and h["location"] == "https://testvpn.mupif.org/safe-api/status2/"
    s, _, _ = raw_get(http_port, "/.well-known/acme-challenge/")
    assert s in (403, 404)                       # no listing

    # HTTPS: the public paths go to the container proxy, with the headers.
    s, h, b = raw_get(https_port, "/safe-api/status2/",
                      {"X-Forwarded-For": "6.6.6.6"}, tls=True)
    assert s == 200, b
    seen = json.loads(b)
    assert seen["path"] == "/safe-api/status2/"
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert seen["headers"]["x-forwarded-proto"] == "https"
    assert seen["headers"]["host"] == "testvpn.mupif.org"
    assert h["strict-transport-security"].startswith("max-age=")
    s, _, b = raw_get(https_port, "/mon/app.js", tls=True)
    assert s == 200 and json.loads(b)["path"] == "/mon/app.js"
    s, h, _ = raw_get(https_port, "/", tls=True)
    assert s == 302 and h["location"].endswith("/mon/")
    for path in NOT_REACHABLE:
        s, _, b = raw_get(https_port, path, tls=True)
        assert s in (400, 403, 404), (path, s, b[:200])
    s, _, _ = raw_get(https_port, "/safe-api/status2/", method="POST", tls=True)
    assert s in (403, 405)


def test_renewal_file_and_render_checks(tmp_path):
    text = render("letsencrypt-renewal.conf.in", MUPIF_VPN_NAME="testvpn")
    assert "authenticator = webroot" in text
    assert "fullchain = /etc/letsencrypt/live/testvpn.mupif.org/fullchain.pem" in text
    assert "testvpn.mupif.org = /var/www/letsencrypt" in text
    # Bad values never reach a config file.
    for env in ({}, {"MUPIF_VPN_NAME": "a b"}, {"MUPIF_VPN_NAME": "x\nInclude /etc"},
                {"MUPIF_VPN_NAME": "t", "MUPIF_SAFEAPI_PORT": "80 http://evil/"},
                {"MUPIF_VPN_NAME": "t", "MUPIF_MONITOR_DIR": "/srv/../etc"},
                {"MUPIF_VPN_NAME": "t", "MUPIF_MONITOR_DIR": 'x" Require all granted'}):
        r = subprocess.run([sys.executable, str(RENDER),
                            str(TEMPLATES / "mupif-proxy.conf.in")],
                           env={"PATH": os.environ["PATH"], **env},
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 1 and r.stdout == "", env
    bad = tmp_path / "bad.in"
    bad.write_text("Listen ${MUPIF_NOT_A_VARIABLE}\n")
    r = subprocess.run([sys.executable, str(RENDER), str(bad)],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 1 and "unknown placeholder" in r.stderr
