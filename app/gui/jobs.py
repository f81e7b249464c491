"""How GUI code hands work off the GUI thread without knowing who runs it.

A ``Submit`` hook is ``submit(fn, on_done, on_error)``: ``fn`` receives the submitter's
context (the worker's Segmenter, or whatever a submitter was given) and runs wherever
the submitter decides; ``on_done(value)`` or ``on_error(message)`` is then called on
the GUI thread. A job stopped by its cancel event (the engine's ``Cancelled``) is not a
failure: ``on_done`` receives the ``Cancelled`` itself, so the caller drops it quietly
(``run_job`` is that rule, used by every submitter). The submitters:

- ``synchronous_submit`` (here): at once, on the calling thread (tests and scripts);
- ``app.gui.thread_pool.ThreadPoolSubmitter``: a QThreadPool of its own (the editor's
  edits, the inspector's numpy reductions);
- ``app.gui.worker_bridge.worker_submitter``: the viewer's InferenceWorker, where the
  model lives (the batch run, the inspector's model jobs).

Nothing here imports Qt, so users of the contract pay nothing for it.
"""

from __future__ import annotations

from typing import Any, Callable

# The context a job receives is the submitter's: the worker's Segmenter, or whatever a
# ThreadPoolSubmitter / synchronous_submit was given (None for pure numpy work), so Any.
Job = Callable[[Any], Any]
OnDone = Callable[[Any], None]  # the job's return value, whatever its type
OnError = Callable[[str], None]
Submit = Callable[[Job, OnDone, OnError], None]


def describe_error(exc: BaseException) -> str:
    """An exception as the one line a user sees: its type, and its message if it has one."""
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def run_job(fn: Job, context: Any) -> Any:
    """``fn(context)``; a ``Cancelled`` it raises is returned as its value (see above).
    Any other exception propagates, for the submitter to report."""
    from app.engine.result import Cancelled

    try:
        return fn(context)
    except Cancelled as stopped:
        return stopped


def synchronous_submit(context: Any = None) -> Submit:
    """Run jobs at once on the calling thread (tests, and tiny models)."""
    def submit(fn: Job, on_done: OnDone, on_error: OnError) -> None:
        try:
            value = run_job(fn, context)
        except Exception as exc:  # noqa: BLE001 - reported to the caller, never raised into Qt
            on_error(describe_error(exc))
            return
        on_done(value)
    return submit
