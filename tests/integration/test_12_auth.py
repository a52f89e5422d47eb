"""The auth service (services/auth): accounts made with `mupif-central user
add`, login, token refresh and logout, login rate limits, registration,
the upgrade of mupifDB's bcrypt hashes to Argon2id, the signing key file,
and logs free of secrets.

auth answers only the api; here its operations are driven through
safeapi's test-build hook (/__test/call_json/<op>?payload=...), under a
copy of the policy that also lets safeapi call auth.* (the shipped
policy does not)."""
import base64
import json
import os
import pwd
import shutil
import sqlite3
import time
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt        # bcrypt hashes as passlib made them (libxcrypt)

import pytest
import requests

from conftest import ROOT, Node, require_root

PW = "Correct-Horse-42"

D_BADLOGIN = "Incorrect username or password"
D_TOKEN = ("Invalid authentication credentials, token expired, or "
           "tampered.")
D_SESSION = ("Session either does not exist, has expired, or has been "
             "revoked.")


def policy_with_auth(tmp_path):
    pol = tmp_path / "policy"
    shutil.copytree(ROOT / "policy", pol)
    with open(pol / "broker.policy", "a") as f:
        f.write("safeapi -> auth: auth.login, auth.refresh, auth.logout, "
                "auth.register, auth.set_password, auth.pubkey"
                "   # auth test only\n")
    return pol


def make_node(tmp_path, name, conf=""):
    n = Node(tmp_path / name,
             "login_rate_user = 3\nlogin_rate_addr = 6\n" + conf,
             env={"MUPIF_POLICY_DIR": str(policy_with_auth(tmp_path / name)),
                  # Argon2id and a bcrypt check in one login: more than
                  # the suite's 500 ms.
                  "MUPIF_BROKER_TIMEOUT_MS": "5000"})
    return n


@pytest.fixture(scope="module")
def an(tmp_path_factory):
    require_root()
    n = make_node(tmp_path_factory.mktemp("auth"), "n").start()
    yield n
    n.stop()


def call(n, op, payload):
    r = requests.get(n.url + f"/__test/call_json/{op}",
                     params={"payload": json.dumps(payload)}, timeout=30)
    assert r.status_code == 200, r.text
    return r.headers["X-Mupif-Status"], (r.json() if r.content else None)


def add_user(n, mail, pw=PW, admin=False):
    args = ["user", "add", mail] + (["--admin"] if admin else [])
    import subprocess
    from conftest import CENTRAL
    return subprocess.run([str(CENTRAL), "--config", str(n.conf),
                           "--persistent", str(n.persist), *args],
                          input=pw + "\n", env=n.env, capture_output=True,
                          text=True, timeout=60)


def login(n, user, pw=PW, addr="10.0.0.1"):
    return call(n, "auth.login", {"username": user, "password": pw,
                                  "addr": addr})


def b64(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def claims(tok):
    h, p, s = tok.split(".")
    assert json.loads(b64(h)) == {"alg": "EdDSA", "typ": "JWT"}
    assert len(b64(s)) == 64
    return json.loads(b64(p))


def user_id(n, mail):
    con = sqlite3.connect(f"file:{n.persist}/db/mupif.sqlite?mode=ro",
                          uri=True, timeout=10)
    try:
        for i, d in con.execute('SELECT id, doc FROM "user"'):
            if json.loads(d)["mail"] == mail:
                return i, json.loads(d)
    finally:
        con.close()
    return None, None


def test_12_01_user_add_cli(an):
    r = add_user(an, "admin@x.test", admin=True)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "user admin@x.test added (admin)\n"
    r = add_user(an, "plain@x.test")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "user plain@x.test added\n"
    r = add_user(an, "admin@x.test")
    assert r.returncode == 1
    assert "Username already registered" in r.stderr
    r = add_user(an, "short@x.test", pw="12345")
    assert r.returncode == 1
    assert "at least 6 characters" in r.stderr
    uid, doc = user_id(an, "admin@x.test")
    assert doc["rights_admin"] is True
    assert doc["password"].startswith("$argon2id$")
    assert PW not in doc["password"]
    assert user_id(an, "plain@x.test")[1]["rights_admin"] is False


def test_12_02_login(an):
    add_user(an, "login@x.test")
    uid, _ = user_id(an, "login@x.test")
    before = int(time.time())
    st, body = login(an, "login@x.test")
    assert st == "ok", body
    assert list(body) == ["access_token", "token_type", "message",
                          "expires_at"]
    assert body["token_type"] == "bearer"
    assert body["message"] == "Login successful"
    c = claims(body["access_token"])
    assert set(c) == {"session_id", "uid", "sub", "iat", "exp"}
    assert c["uid"] == uid and c["sub"] == "access"
    assert before <= c["iat"] <= int(time.time())
    assert c["exp"] == c["iat"] + 3600
    exp = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(c["exp"]))
    assert body["expires_at"] == exp
    # A UUID4 session id.
    sid = c["session_id"]
    assert len(sid) == 36 and sid[14] == "4" and sid[19] in "89ab"

    st, body = login(an, "login@x.test", pw="wrong-password")
    assert (st, body) == ("bad-request", {"detail": D_BADLOGIN})
    st, body = login(an, "nobody@x.test")
    assert (st, body) == ("bad-request", {"detail": D_BADLOGIN})
    st, body = call(an, "auth.login", {"username": "login@x.test"})
    assert st == "bad-request"
    st, body = call(an, "auth.login", {"username": "login@x.test",
                                       "password": PW, "x": 1})
    assert st == "bad-request"


def test_12_03_pubkey_refresh_logout(an):
    add_user(an, "tok@x.test")
    st, body = call(an, "auth.pubkey", {})
    assert st == "ok"
    assert len(body["public_key"]) == 64
    int(body["public_key"], 16)

    st, body = login(an, "tok@x.test")
    tok = body["access_token"]
    time.sleep(1.1)     # a new iat
    st, body = call(an, "auth.refresh", {"token": tok})
    assert st == "ok", body
    assert body == {"access_token": body["access_token"],
                    "token_type": "bearer",
                    "message": "Token refreshed successfully"}
    tok2 = body["access_token"]
    assert tok2 != tok
    c1, c2 = claims(tok), claims(tok2)
    assert c2["session_id"] == c1["session_id"] and c2["uid"] == c1["uid"]
    assert c2["iat"] > c1["iat"]

    # Tampered: another payload under the same signature, a cut one.
    h, p, s = tok.split(".")
    c1["uid"] = "0" * 24
    forged = base64.urlsafe_b64encode(json.dumps(
        c1, separators=(",", ":")).encode()).decode().rstrip("=")
    for bad in (f"{h}.{forged}.{s}", tok[:-2], "garbage", ""):
        st, body = call(an, "auth.refresh", {"token": bad})
        assert (st, body) == ("not-found", {"detail": D_TOKEN})

    st, body = call(an, "auth.logout", {"token": tok2})
    assert (st, body) == ("ok", {"message": "Logged out and session revoked"})
    # The session is gone: neither token refreshes.
    for t in (tok, tok2):
        st, body = call(an, "auth.refresh", {"token": t})
        assert (st, body) == ("not-found", {"detail": D_SESSION})
    # Logout never fails.
    for t in ("garbage", tok2):
        st, body = call(an, "auth.logout", {"token": t})
        assert (st, body) == ("ok",
                              {"message": "Logged out and session revoked"})


def test_12_04_set_password(an):
    add_user(an, "setpw@x.test")
    uid, _ = user_id(an, "setpw@x.test")
    st, body = call(an, "auth.set_password", {"user_id": uid,
                                              "password": "12345"})
    assert (st, body) == ("bad-request", {
        "detail": "Password must be at least 6 characters long."})
    st, body = call(an, "auth.set_password", {"user_id": uid,
                                              "password": "new-secret-7"})
    assert (st, body) == ("ok", {"ok": True})
    assert login(an, "setpw@x.test", pw="new-secret-7")[0] == "ok"
    assert login(an, "setpw@x.test")[0] == "bad-request"
    st, body = call(an, "auth.set_password", {"user_id": "0" * 24,
                                              "password": "new-secret-7"})
    assert st == "not-found"


def test_12_05_rate_limits(an):
    add_user(an, "rate@x.test")
    # login_rate_user = 3: three failures, then even the right password
    # waits.
    for _ in range(3):
        assert login(an, "rate@x.test", pw="bad-guess",
                     addr="10.1.1.1")[0] == "bad-request"
    st, body = login(an, "rate@x.test", addr="10.1.1.2")
    assert st == "busy", body
    assert body["detail"] == "Too many login attempts; try again later."
    assert 1 <= body["retry_after"] <= 20
    # Another user is not affected.
    add_user(an, "rate2@x.test")
    assert login(an, "rate2@x.test", addr="10.1.1.3")[0] == "ok"
    # login_rate_addr = 6: six failures from one address, for six
    # different (unknown) users, then that address waits.
    for i in range(6):
        assert login(an, f"ghost{i}@x.test",
                     addr="10.2.2.2")[0] == "bad-request"
    st, body = login(an, "rate2@x.test", addr="10.2.2.2")
    assert st == "busy" and body["retry_after"] >= 1
    assert login(an, "rate2@x.test", addr="10.2.2.3")[0] == "ok"
    an.wait_log("auth", "login rate limited for rate@x.test")


def test_12_06_registration_off(an):
    st, body = call(an, "auth.register", {"username": "new@x.test",
                                          "password": "secret-123"})
    assert (st, body) == ("bad-request", {"detail": "Registration is disabled."})
    assert user_id(an, "new@x.test") == (None, None)


def test_12_07_registration_on(tmp_path):
    require_root()
    n = make_node(tmp_path, "reg", "registration = yes\n").start()
    try:
        st, body = call(n, "auth.register", {"username": "new@x.test",
                                             "password": "secret-123"})
        assert st == "ok", body
        assert list(body) == ["_id", "mail", "name", "surname", "password",
                              "rights_admin"]
        assert body["mail"] == body["name"] == "new@x.test"
        assert body["surname"] == "User" and body["password"] == "********"
        assert body["rights_admin"] is False
        uid, doc = user_id(n, "new@x.test")
        assert uid == body["_id"] and doc["password"].startswith("$argon2id$")
        st, body = call(n, "auth.register", {"username": "new@x.test",
                                             "password": "secret-123"})
        assert (st, body) == ("conflict",
                              {"detail": "Username already registered"})
        st, body = call(n, "auth.register", {"username": "x@x.test",
                                             "password": "12345"})
        assert (st, body) == ("bad-request", {
            "detail": "Password must be at least 6 characters long."})
        assert login(n, "new@x.test", pw="secret-123")[0] == "ok"
    finally:
        n.stop()


def test_12_08_bcrypt_upgrade(tmp_path):
    """A user from mupifDB with a passlib bcrypt hash logs in; the hash is
    then Argon2id, and the password still works."""
    require_root()
    n = make_node(tmp_path, "bc")
    r = add_user(n, "old@x.test")       # also makes the layout
    assert r.returncode == 0, r.stderr
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        h = crypt.crypt("legacy-pass", crypt.mksalt(crypt.METHOD_BLOWFISH,
                                                    rounds=16))
    assert h.startswith("$2b$04$")
    uid, doc = user_id(n, "old@x.test")
    doc["password"] = h
    con = sqlite3.connect(f"{n.persist}/db/mupif.sqlite", timeout=10)
    with con:
        con.execute('UPDATE "user" SET doc = ? WHERE id = ?',
                    (json.dumps(doc, separators=(",", ":")), uid))
    con.close()
    n.start()
    try:
        assert login(n, "old@x.test", pw="wrong-pass")[0] == "bad-request"
        assert user_id(n, "old@x.test")[1]["password"] == h
        st, body = login(n, "old@x.test", pw="legacy-pass")
        assert st == "ok", body
        new = user_id(n, "old@x.test")[1]["password"]
        assert new.startswith("$argon2id$")
        assert login(n, "old@x.test", pw="legacy-pass")[0] == "ok"
        n.wait_log("auth", "password hash of old@x.test upgraded to Argon2id")
    finally:
        n.stop()


def test_12_09_key_file(an, tmp_path):
    key = an.persist / "auth" / "token.key"
    st = os.stat(key)
    assert st.st_mode & 0o777 == 0o600
    assert st.st_size == 64
    assert st.st_uid == pwd.getpwnam("mupif-auth").pw_uid
    d = os.stat(an.persist / "auth")
    assert d.st_mode & 0o777 == 0o700
    assert d.st_uid == pwd.getpwnam("mupif-auth").pw_uid
    assert "created a new token signing key" in an.log("auth")


def test_12_10_key_kept_and_checked(tmp_path):
    """The key survives a restart (tokens stay valid); a key file with a
    loose mode is refused."""
    require_root()
    n = make_node(tmp_path, "key")
    assert add_user(n, "keep@x.test").returncode == 0
    n.start()
    pk = call(n, "auth.pubkey", {})[1]["public_key"]
    tok = login(n, "keep@x.test")[1]["access_token"]
    n.stop()
    n.start()
    try:
        assert call(n, "auth.pubkey", {})[1]["public_key"] == pk
        assert call(n, "auth.refresh", {"token": tok})[0] == "ok"
        assert "loaded the token signing key" in n.log("auth")
    finally:
        n.stop()
    os.chmod(n.persist / "auth" / "token.key", 0o644)
    n.start(wait=False)
    try:
        n.wait_log("auth", "want 0600", timeout=15)
    finally:
        n.stop()


def test_12_11_no_secrets_in_logs(an):
    add_user(an, "secret@x.test", pw="Very-Secret-Pass-99")
    st, body = login(an, "secret@x.test", pw="Very-Secret-Pass-99")
    assert st == "ok"
    tok = body["access_token"]
    sid = claims(tok)["session_id"]
    login(an, "secret@x.test", pw="Wrong-Secret-Pass-98")
    call(an, "auth.logout", {"token": tok})
    an.wait_log("auth", "login failed for secret@x.test from 10.0.0.1: "
                "bad password")
    an.wait_log("auth", "login ok for secret@x.test from 10.0.0.1")
    _, doc = user_id(an, "secret@x.test")
    for f in (an.persist / "logs").iterdir():
        text = f.read_text(errors="replace")
        for secret in ("Very-Secret-Pass-99", "Wrong-Secret-Pass-98",
                       tok, tok.split(".")[2], sid, doc["password"],
                       doc["password"][-20:]):
            assert secret not in text, f"{secret!r} in {f.name}"
