#!/usr/bin/env python3
"""render-apache.py - render an Apache template of container/apache/.

    MUPIF_VPN_NAME=test container/render-apache.py TEMPLATE [-o OUT]

Replaces every ${NAME} placeholder with the value of the environment
variable NAME (or its default, see VARS and container/README.md).  Each value
is checked against a strict pattern, so no value can inject Apache
directives; an unknown placeholder, or a required variable left unset, is an
error.  Nothing else in the template is touched.
"""
import os
import re
import sys

HOST = r"[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?"
ADDR = r"(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|\[[0-9A-Fa-f:.]+\]|" + HOST + ")"
PORT = r"(?:[1-9][0-9]{0,4})"
PATH = r"/(?:[A-Za-z0-9._+@-]+/?)*"
NET = r"[0-9A-Fa-f:.]+(?:/[0-9]{1,3})?"
USER = r"[a-z_][a-z0-9_-]{0,31}"

# name: (pattern, default or None = required, description)
VARS = {
    "MUPIF_VPN_NAME": (r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", None,
                       "network name: the host name is <name>.<domain>"),
    "MUPIF_DOMAIN": (HOST, "mupif.org", "parent domain"),
    "MUPIF_SERVER_NAME": (HOST, "${MUPIF_VPN_NAME}.${MUPIF_DOMAIN}",
                          "public host name (ServerName)"),
    # in-container proxy
    "MUPIF_PROXY_LISTEN": (r"(?:" + ADDR + r":|\*:)?" + PORT, "80",
                           "Listen of the in-container proxy"),
    "MUPIF_PROXY_USER": (USER, "www-data", "proxy workers' user (when started as root)"),
    "MUPIF_PROXY_GROUP": (USER, "www-data", "proxy workers' group"),
    "MUPIF_PROXY_RUN_DIR": (PATH, "/run/mupif-proxy", "pid file and runtime files"),
    "MUPIF_PROXY_ERROR_LOG": (PATH, "/dev/stderr", "error log"),
    "MUPIF_PROXY_ACCESS_LOG": (PATH, "/dev/stdout", "access log"),
    "MUPIF_PROXY_TRUSTED": (NET + r"(?: " + NET + r")*", "127.0.0.1",
                            "addresses (CIDR) whose X-Forwarded-For is believed: "
                            "the host proxy as seen from the container"),
    "MUPIF_SAFEAPI_HOST": (ADDR, "127.0.0.1", "safe API address"),
    "MUPIF_SAFEAPI_PORT": (PORT, "8006", "safe API port (safeapi_port)"),
    "MUPIF_MONITOR_DIR": (PATH, "/opt/mupif-central/web/monitor",
                          "static files of the monitor page"),
    # host vhost and renewal file
    "MUPIF_HTTP_PORT": (PORT, "80", "host HTTP port (ACME + redirect)"),
    "MUPIF_HTTPS_PORT": (PORT, "443", "host HTTPS port"),
    "MUPIF_PROXY_HOST_PORT": (PORT, None,
                              "host localhost port mapped to the container proxy"),
    "MUPIF_ACME_WEBROOT": (PATH, "/var/www/letsencrypt", "certbot --webroot-path"),
    "MUPIF_TLS_CERT": (PATH, "/etc/letsencrypt/live/${MUPIF_SERVER_NAME}/fullchain.pem",
                       "certificate chain"),
    "MUPIF_TLS_KEY": (PATH, "/etc/letsencrypt/live/${MUPIF_SERVER_NAME}/privkey.pem",
                      "private key"),
}

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class RenderError(Exception):
    pass


def value(name, env, seen=()):
    if name not in VARS:
        raise RenderError(f"unknown placeholder ${{{name}}}")
    if name in seen:
        raise RenderError(f"circular default for {name}")
    pattern, default, _ = VARS[name]
    v = env.get(name)
    if v is None or v == "":
        if default is None:
            raise RenderError(f"{name} must be set ({VARS[name][2]})")
        v = PLACEHOLDER.sub(lambda m: value(m.group(1), env, seen + (name,)),
                            default)
    if not re.fullmatch(pattern, v) or "/../" in v + "/" or "/./" in v + "/":
        raise RenderError(f"{name}={v!r} is not valid")
    return v


def render(text, env=None):
    env = os.environ if env is None else env
    return PLACEHOLDER.sub(lambda m: value(m.group(1), env), text)


def main(argv):
    args = list(argv)
    out = None
    if "-o" in args:
        i = args.index("-o")
        out = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1 or args[0].startswith("-"):
        print(__doc__.strip(), file=sys.stderr)
        print("\nvariables:", file=sys.stderr)
        for k, (_, d, h) in VARS.items():
            print(f"  {k:24} {h} [{d if d is not None else 'required'}]",
                  file=sys.stderr)
        return 2
    try:
        with open(args[0]) as f:
            text = render(f.read())
    except (RenderError, OSError) as e:
        print(f"render-apache: {e}", file=sys.stderr)
        return 1
    if out is None:
        sys.stdout.write(text)
    else:
        tmp = out + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
