"""Helpers shared by the nameserver probe tests (test_10c, 10d, 10e, 22):
a listening socket that counts the connections it was sent (to prove an
address was never probed), and a Pyro5 daemon in the test process that
serves fake job managers and schedulers."""
import socket
import threading

import pytest
import Pyro5.server


def listener(addr):
    """A non-blocking listening TCP socket on addr, any port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.listen(64)
    s.setblocking(False)
    return s


def accepted(s):
    """How many connections are waiting on listener s (accepted here)."""
    n = 0
    while True:
        try:
            c, _ = s.accept()
        except BlockingIOError:
            return n
        c.close()
        n += 1


@pytest.fixture(scope="module")
def daemon():
    """A real Pyro5 daemon on 127.0.0.1, serving in a thread."""
    d = Pyro5.server.Daemon(host="127.0.0.1")
    t = threading.Thread(target=d.requestLoop, daemon=True)
    t.start()
    yield d
    d.shutdown()
    t.join(10)
