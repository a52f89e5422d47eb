"""Module-scoped fixtures shared by the api test modules: one node with
the api (and an admin and an ordinary user made with the CLI) per module,
its base URL, and a mupifDB-like Client for each user.  A module imports
them by name (`from api_fixtures import api, base, admin, user`)."""
import pytest

from api_helpers import (ADMIN, ADMIN_PW, USER, USER_PW, Client, api_url,
                         NO_RUNS, new_node, start_api_node)
from conftest import require_root


@pytest.fixture(scope="module")
def api(tmp_path_factory, request):
    require_root()
    # A module that sets statuses itself says SCHEDULER_CLAIMS = False:
    # then its node's scheduler runs nothing (run_slots = 0).
    conf = ""
    if not getattr(request.module, "SCHEDULER_CLAIMS", True):
        conf = NO_RUNS
    n = new_node(tmp_path_factory.mktemp(request.module.__name__[-8:]),
                 conf)
    try:
        start_api_node(n)
        yield n
    finally:
        n.stop()


@pytest.fixture(scope="module")
def base(api):
    return api_url(api)


@pytest.fixture(scope="module")
def admin(base):
    return Client(base, ADMIN, ADMIN_PW)


@pytest.fixture(scope="module")
def user(base):
    return Client(base, USER, USER_PW)
