"""The release build (build/, what `make run` starts) carries the hardening
flags, and none of the test hooks that the ASan test build has."""
import subprocess

import pytest

from conftest import ROOT

RELEASE = ROOT / "build"
BINS = ["mupif-central", "mupif-broker", "mupif-db", "mupif-safeapi",
        "mupif-nameserver"]


def readelf(*args):
    return subprocess.run(["readelf", *args], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.parametrize("name", BINS)
def test_06_01_hardening(name):
    b = str(RELEASE / name)
    assert "DYN (Position-Independent Executable" in readelf("-h", b)
    seg = readelf("-lW", b)
    assert "GNU_RELRO" in seg
    stack = [l for l in seg.splitlines() if "GNU_STACK" in l][0]
    assert "RWE" not in stack
    dyn = readelf("-dW", b)
    assert "BIND_NOW" in dyn or "FLAGS_1" in dyn and "NOW" in dyn
    syms = readelf("-sW", b)
    assert "__stack_chk_fail" in syms
    assert "_chk@" in syms          # _FORTIFY_SOURCE replacements


@pytest.mark.parametrize("name", BINS)
def test_06_02_no_test_hooks_in_release(name):
    data = (RELEASE / name).read_bytes()
    assert b"/__test/" not in data
    assert b"test_forbidden" not in data


def test_06_03_test_build_has_the_hooks():
    """The check above would be empty if the hooks had other names."""
    assert b"/__test/" in (ROOT / "build-asan/mupif-safeapi").read_bytes()
    assert b"test_forbidden" in (ROOT / "build-asan/mupif-db").read_bytes()


@pytest.mark.parametrize("fn", ["strcpy", "strcat", "sprintf", "vsprintf",
                                "gets", "strtok", "atoi", "atol"])
def test_06_04_banned_functions_do_not_compile(tmp_path, fn):
    """lib/banned.h poisons the unchecked string and number functions
    (STYLE.md 3.8): using one after it is a compile error."""
    src = tmp_path / "t.c"
    src.write_text('#include <stdio.h>\n#include <stdlib.h>\n'
                   '#include <string.h>\n#include "banned.h"\n'
                   f'void *p = (void *){fn};\n')
    r = subprocess.run(["gcc", "-fsyntax-only", f"-I{ROOT / 'lib'}",
                        str(src)], capture_output=True, text=True)
    assert r.returncode != 0
    assert "poisoned" in r.stderr
