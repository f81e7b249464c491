"""Running ``segment`` on a Ray cluster (the optional ``cluster`` extra).

Qt-free, and importing this package does not import Ray: the app works without
it, and ``--engine ray`` says how to install it. The pieces:

- ``ray_worker.SegmentWorker``: one per GPU (or CPU share); loads the model once
  and runs the engine's own ``process_one`` on each image it is handed.
- ``pool.WorkerPool``: starts the workers as Ray actors, checks that they see the
  shared storage, replaces workers that die.
- ``ray_engine``: connects to (or starts) Ray and schedules the jobs planned by
  the engine, retrying the images of lost workers; writes the same run files.
- ``cli``: the ``segment --engine ray`` options and command.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = ('the Ray engine needs Ray, an optional extra: pip install ".[cluster]" '
                '(or pip install "ray>=2.9")')


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None


def add_arguments(parser) -> None:  # noqa: ANN001 - argparse parser or group
    """The ``--engine ray`` options of ``segment`` (parsed even without Ray installed)."""
    from app.cluster.cli import add_arguments as add  # noqa: PLC0415

    add(parser)


def run_segment(args) -> int:  # noqa: ANN001 - argparse.Namespace
    """``segment --engine ray``: exit 0 all ok, 1 some failed, 2 usage (or no Ray)."""
    from app.cluster.cli import run_segment as run  # noqa: PLC0415

    return run(args)
