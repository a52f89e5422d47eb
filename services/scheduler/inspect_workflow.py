# inspect_workflow.py - the workflow inspector, run by the scheduler for
# sched.inspect (services/scheduler/sched_inspect.c).
#
# Trust: none.  This script is trusted code, but it imports the uploaded
# workflow, so everything it does after the import runs beside hostile
# code: the scheduler treats its output as untrusted and re-checks every
# field (sched_meta.c).  It runs as `python3 -I -S -B -c <this text>
# <module>` in a throw-away directory holding only the uploaded files
# (the cwd), with a scrubbed environment, rlimits, Landlock and the
# scheduler's seccomp filter, in an empty network namespace.
#
# Contract: import the module <module> (after every file of the upload is
# in place), find exactly one class defined in it, instantiate it, read its
# metadata (getAllMetadata(), else getMetadata(key), else a `metadata`
# dict), print one JSON object on stdout and exit 0:
#   {"classname", "modulename", "metadata": {"ID", "Description", "Inputs",
#    "Outputs", "Models", "EDMMapping"}}   (missing keys are left out)
# On any failure: one line "reason" on stderr, exit 1.  What the workflow
# itself prints goes to stderr too (the scheduler keeps the last line).
import os
import sys

# The answer goes to a private copy of stdout; fd 1 and sys.stdout point at
# stderr from here on, so prints of the workflow cannot corrupt it.
_answer = os.fdopen(os.dup(1), "w")
os.dup2(2, 1)
sys.stdout = sys.stderr


def fail(reason):
    line = " ".join(str(reason).split())[:400] or "unknown error"
    try:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()
    finally:
        sys.exit(1)


def describe(exc):
    text = str(exc)
    name = type(exc).__name__
    return f"{name}: {text}" if text else name


def main():
    if len(sys.argv) not in (2, 3):
        fail("inspector: usage")
    modname = sys.argv[1]
    import site
    # -S skipped site: add the interpreter's own site directories (where
    # an operator installs mupif), never the user's, then the upload.
    try:
        for d in site.getsitepackages():
            if os.path.isdir(d):
                site.addsitedir(d)
    except Exception:
        pass
    # ".", not the absolute path: the directories above the work
    # directory need not be searchable by the scheduler's user.
    sys.path.insert(0, ".")
    # No mupif installed: the runner's minimal stand-in (same as runs get).
    if len(sys.argv) == 3:
        try:
            import mupif  # noqa: F401
        except ImportError:
            import importlib.util
            spec = importlib.util.spec_from_file_location("mupif",
                                                          sys.argv[2])
            mod = importlib.util.module_from_spec(spec)
            sys.modules["mupif"] = mod
            spec.loader.exec_module(mod)
    import importlib
    import json
    try:
        mod = importlib.import_module(modname)
    except SyntaxError as e:
        fail(f"SyntaxError: {e.msg} (line {e.lineno})")
    except BaseException as e:
        fail(describe(e))
    classes = []
    for name, obj in list(vars(mod).items()):
        if isinstance(obj, type) and getattr(obj, "__module__", None) == modname:
            classes.append(obj)
    if len(classes) != 1:
        fail(f"expected exactly one class defined in module '{modname}', "
             f"found {len(classes)}")
    cls = classes[0]
    try:
        inst = cls()
    except BaseException as e:
        fail(f"cannot instantiate {cls.__name__}: {describe(e)}")
    keys = ("ID", "Description", "Inputs", "Outputs", "Models", "EDMMapping")
    md = {}
    try:
        if callable(getattr(inst, "getAllMetadata", None)):
            got = inst.getAllMetadata()
            if not isinstance(got, dict):
                fail("getAllMetadata() did not return a dict")
            md = {k: got[k] for k in keys if k in got}
        elif callable(getattr(inst, "getMetadata", None)):
            for k in keys:
                try:
                    md[k] = inst.getMetadata(k)
                except Exception:
                    pass
        elif isinstance(getattr(inst, "metadata", None), dict):
            got = inst.metadata
            md = {k: got[k] for k in keys if k in got}
    except SystemExit:
        raise
    except BaseException as e:
        fail(f"reading metadata: {describe(e)}")
    try:
        out = json.dumps({"classname": cls.__name__, "modulename": modname,
                          "metadata": md}, allow_nan=False)
    except (TypeError, ValueError) as e:
        fail(f"metadata is not plain JSON data: {describe(e)}")
    _answer.write(out)
    _answer.flush()


try:
    main()
except SystemExit:
    raise
except BaseException as e:
    fail(describe(e))
