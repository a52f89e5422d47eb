"""The OpenAPI document (services/api/openapi.json) is valid and true:

- it is the output of services/api/gen_openapi.py;
- it validates as OpenAPI 3.1 (openapi-spec-validator);
- its routes are exactly the api's route table (read from the C source:
  the {"METHOD", "/api/..."} entries of services/api/*.c), compared with
  parameters as {} and without trailing slashes;
- the api serves it, unchanged and without authentication, at
  GET /api/openapi.json;
- on a running node every documented operation reaches a handler, with and
  without the trailing slash (anything but the router's own 404
  {"detail":"Not Found"} and 405), and never a 5xx (but a documented 501:
  what is not implemented yet); a method the
  document does not list gets 405 with an Allow header naming exactly the
  documented methods.

schemathesis then checks the answers against the document
(test_18_schemathesis.py).
"""
import json
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from openapi_spec_validator import validate

from api_helpers import (ADMIN, ADMIN_PW, api_url, login, new_node,
                         start_api_node)
from conftest import ROOT, require_root

DOC_PATH = ROOT / "services/api/openapi.json"
METHODS = ("get", "put", "post", "delete", "patch", "head", "options",
           "trace")
# { GET, "/api/executions/{}", h_execution, 0, 0 } (the method is a macro
# for its string, or the string itself).
ROUTE_RE = re.compile(r'\{\s*"?(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS)"?'
                      r'\s*,\s*"(/api[^"]*)"')


def load_doc():
    return json.loads(DOC_PATH.read_text())


def norm(path):
    """Parameters as {}, no trailing slashes (the api serves both forms,
    and the `.../{name}//` spelling of the item routes)."""
    return re.sub(r"\{[^}]*\}", "{}", path).rstrip("/") or "/"


def doc_routes(doc):
    return {(m.upper(), norm(p)) for p, item in doc["paths"].items()
            for m in item if m in METHODS}


def c_routes():
    out = set()
    for f in sorted((ROOT / "services/api").glob("*.c")):
        for m in ROUTE_RE.finditer(f.read_text()):
            out.add((m.group(1), norm(m.group(2))))
    return out


def operations(doc):
    for p, item in doc["paths"].items():
        for m, op in item.items():
            if m in METHODS:
                yield p, m, op


# ---------------------------------------------------------------------------
# static: the document itself, and against the source

def test_document_is_generated():
    """openapi.json is the output of gen_openapi.py (edit the script)."""
    out = subprocess.run([sys.executable,
                          str(ROOT / "services/api/gen_openapi.py"), "-"],
                         capture_output=True, text=True, check=True).stdout
    assert out == DOC_PATH.read_text(), \
        "run: python3 services/api/gen_openapi.py services/api/openapi.json"


def test_document_validates():
    doc = load_doc()
    validate(doc)        # raises OpenAPIValidationError with the reason
    assert doc["openapi"].startswith("3.")


def test_document_conventions():
    """Every operation: a unique operationId, a 200 (but the root's 307
    and the 501 of what is not implemented yet), the error bodies of spec
    1.3 ({"detail"} or the 422 envelope), 401 unless it is public, and
    public operations are exactly the ones the spec makes public."""
    doc = load_doc()
    ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(ids) == len(set(ids))
    # No two templates of one route ("{uid}" and "{ucid}": OpenAPI forbids
    # it, and tools see two paths).
    assert len({norm(p) for p in doc["paths"]}) == len(doc["paths"])
    public = set()
    for p, m, op in operations(doc):
        assert p == "/api" or (p.startswith("/api/") and
                               not p.endswith("/")), p
        r = op["responses"]
        assert "200" in r or "501" in r or (p, m) == ("/api", "get"), (m, p)
        for code, resp in r.items():
            if code in ("200", "307"):
                continue
            want = ("#/components/responses/422" if code == "422"
                    else f"#/components/responses/{code}")
            assert resp == {"$ref": want}, (m, p, code)
        if op.get("security") == []:
            public.add((m.upper(), p))
            assert "401" not in r, (m, p)
        else:
            assert "401" in r, (m, p)
    assert public == {("POST", "/api/login"), ("POST", "/api/logout"),
                      ("POST", "/api/register"), ("GET", "/api"),
                      ("GET", "/api/openapi.json")}
    # Links (used by schemathesis's stateful phase) name real operations
    # and their parameters.
    by_id = {op["operationId"]: op for _, _, op in operations(doc)}
    for p, m, op in operations(doc):
        for name, ln in op["responses"].get("200", {}).get("links",
                                                             {}).items():
            target = by_id.get(ln["operationId"])
            assert target is not None, (m, p, name)
            names = {x["name"] for x in target.get("parameters", [])}
            assert set(ln.get("parameters", {})) <= names, (m, p, name)
    det = doc["components"]["schemas"]["Detail"]
    assert det["required"] == ["detail"]
    ve = doc["components"]["schemas"]["ValidationError"]
    assert ve["required"] == ["status_code", "message", "data"]


def test_route_table_found():
    """The regex still finds the route table (a reformatted table must not
    make the next test vacuous)."""
    routes = c_routes()
    assert ("GET", "/api/executions/{}") in routes, sorted(routes)
    assert len(routes) >= 30, sorted(routes)


def test_every_served_route_is_documented():
    missing = c_routes() - doc_routes(load_doc())
    assert not missing, f"served but not in openapi.json: {sorted(missing)}"


def test_every_documented_route_is_served():
    extra = doc_routes(load_doc()) - c_routes()
    assert not extra, f"in openapi.json but not served: {sorted(extra)}"


# ---------------------------------------------------------------------------
# against a running node

@pytest.fixture(scope="module")
def api(tmp_path_factory):
    require_root()
    node = start_api_node(new_node(tmp_path_factory.mktemp("openapi")))
    base = api_url(node).rstrip("/")
    r = login(base + "/", ADMIN, ADMIN_PW)
    assert r.status_code == 200, r.text
    yield base, r.json()["access_token"], node
    node.stop()


def test_document_is_served(api):
    base, _, _ = api
    r = requests.get(base + "/api/openapi.json", timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == load_doc()
    # GET /api points at it (documented as a 307; schemathesis, which
    # follows redirects, skips it).
    for path in ("/api", "/api/"):
        r = requests.get(base + path, timeout=5, allow_redirects=False)
        assert r.status_code == 307, (path, r.status_code, r.text)
        assert r.headers["Location"] == "/api/openapi.json"


def fill(path, op):
    """The path with each parameter filled: ints 1, ids a well-formed id
    that does not exist, other strings a plain word."""
    for prm in op.get("parameters", []):
        if prm["in"] != "path":
            continue
        t = prm["schema"].get("type")
        v = "1" if t == "integer" else "0123456789abcdef01234567"
        if t != "integer" and prm["name"] in ("name", "obj_id"):
            v = "x"
        path = path.replace("{" + prm["name"] + "}", v)
    return path


def body_of(op):
    rb = op.get("requestBody")
    if rb is None:
        return {}
    ct = next(iter(rb["content"]))
    if ct == "application/json":
        return {"data": b"{}", "headers": {"Content-Type": ct}}
    if ct == "multipart/form-data":
        b = uuid.uuid4().hex
        return {"data": f"--{b}--\r\n".encode(),
                "headers": {"Content-Type": f"{ct}; boundary={b}"}}
    return {"data": b"", "headers": {"Content-Type": ct}}


def is_router_miss(r):
    if r.status_code == 405:
        return True
    if r.status_code != 404:
        return False
    try:
        return r.json() == {"detail": "Not Found"}
    except ValueError:
        return True


def test_every_documented_operation_reaches_a_handler(api):
    base, tok, node = api
    # Logout revokes the session of the token it is given: its own login.
    other = login(base + "/", ADMIN, ADMIN_PW).json()["access_token"]
    bad = []
    for p, m, op in operations(load_doc()):
        for slash in ("", "/"):
            url = base + fill(p, op) + slash
            kw = body_of(op)
            h = dict(kw.pop("headers", {}))
            h["Authorization"] = "Bearer " + (other if p == "/api/logout"
                                              else tok)
            r = requests.request(m.upper(), url, headers=h, timeout=30,
                                 allow_redirects=False, **kw)
            # 5xx: never, but the 501 of what is documented as not
            # implemented yet.
            if is_router_miss(r) or (r.status_code >= 500 and not (
                    r.status_code == 501 and "501" in op["responses"])):
                bad.append((m.upper(), p + slash, r.status_code, r.text[:200]))
    assert not bad, bad
    # The first token still works (logout revoked only its own session).
    r = requests.get(base + "/api/current_user", timeout=5,
                     headers={"Authorization": "Bearer " + tok})
    assert r.status_code == 200, r.text


def test_undocumented_methods_get_405(api):
    """A method no documented route of that URL has: 405 naming the
    documented ones (a concrete URL may match two templates, e.g.
    /api/executions/create and /api/executions/{uid})."""
    base, tok, _ = api
    doc = load_doc()
    templates = [(re.compile("^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+",
                                          re.escape(p)) + "$"),
                  {m.upper() for m in item if m in METHODS})
                 for p, item in doc["paths"].items()]
    bad = []
    for p, item in doc["paths"].items():
        path = fill(p, next(iter(item.values())))
        documented = set().union(*(ms for rx, ms in templates
                                   if rx.match(path)))
        for m in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if m in documented:
                continue
            r = requests.request(m, base + path, timeout=10,
                                 allow_redirects=False,
                                 headers={"Authorization": "Bearer " + tok})
            allow = {a.strip() for a in r.headers.get("Allow", "").split(",")
                     if a.strip()}
            ok = (r.status_code == 405 and
                  r.json() == {"detail": "Method Not Allowed"} and
                  documented <= allow)
            if not ok:
                bad.append((m, p, r.status_code, r.headers.get("Allow"),
                            r.text[:100]))
    assert not bad, bad
