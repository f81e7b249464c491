"""A job stopped by its cancel (the engine's ``Cancelled``) reaches ``on_done`` as its
value, on every submitter, and is not reported as a failure; other errors still are."""

from __future__ import annotations


from app.engine.result import Cancelled
from app.gui.jobs import synchronous_submit
from app.gui.thread_pool import ThreadPoolSubmitter
from app.gui.worker_bridge import worker_submitter
from tests.gui.conftest import RESULT_TIMEOUT_MS


def stopped(_context):
    raise Cancelled()


def broken(_context):
    raise ValueError("bad pixels")


def outcomes(qtbot, submit, fn):
    done, errors = [], []
    submit(fn, done.append, errors.append)
    qtbot.waitUntil(lambda: bool(done or errors), timeout=RESULT_TIMEOUT_MS)
    return done, errors


def submitters(worker):
    # The dict keeps the pool and the bridge alive while their jobs run.
    return {"synchronous": synchronous_submit(), "thread pool": ThreadPoolSubmitter(),
            "worker": worker_submitter(worker)}


def test_a_cancelled_job_is_its_value_on_every_submitter(qtbot, worker, capfd):
    for name, submit in submitters(worker).items():
        done, errors = outcomes(qtbot, submit, stopped)
        assert errors == [], name
        assert len(done) == 1 and isinstance(done[0], Cancelled), name
    assert "Traceback" not in capfd.readouterr().err  # nothing printed as if it had gone wrong


def test_other_errors_are_still_failures(qtbot, worker):
    for name, submit in submitters(worker).items():
        done, errors = outcomes(qtbot, submit, broken)
        assert done == [], name
        assert len(errors) == 1 and "bad pixels" in errors[0], name
