"""Running ``segment`` on a Ray cluster (the optional ``cluster`` extra).

Qt-free, and importing this package does not import Ray: the app works without
it, and ``--engine ray`` says how to install it. The pieces:

- ``ray_worker.SegmentWorker``: one per GPU (or CPU share); loads the model once
  and runs the engine's own ``process_one`` on each image it is handed.
- ``pool.WorkerPool``: starts the workers as Ray actors, checks that they see the
  shared storage, replaces workers that die.
- ``ray_engine``: connects to (or starts) Ray and schedules the jobs planned by
  the engine, retrying the images of lost workers; writes the same run files.

The ``segment --engine ray`` options and command live in ``app.cli.segment_ray``: the
core never imports the command line.
"""

from __future__ import annotations

import importlib.util

INSTALL_HINT = ('the Ray engine needs Ray, an optional extra: pip install ".[cluster]" '
                '(or pip install "ray>=2.9")')


def ray_available() -> bool:
    return importlib.util.find_spec("ray") is not None

