"""The window must appear before torch has loaded: the GUI's modules may not import it.

torch takes seconds to import on a cold machine; the worker thread imports it after
the window is shown. Every module the main window pulls in must therefore keep
torch (and the modules that need it) out of its import-time dependencies.
"""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import app.gui.main_window, app.gui.launch
import app.checkpoints.meta, app.engine.batch, app.engine.writers, app.engine.result
heavy = sorted(m for m in ("torch", "torchvision", "safetensors") if m in sys.modules)
print(",".join(heavy))
"""


def test_gui_modules_import_without_torch():
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True,
                         env={"QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT),
                              "PATH": "/usr/bin:/bin"}, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"imported at GUI start-up: {out.stdout.strip()}"


def test_lazy_package_exports_still_work():
    import app.checkpoints as checkpoints
    import app.model as model

    assert callable(checkpoints.load_checkpoint) and callable(model.build_pspnet)
    assert model.PSPNetConfig(3).num_classes == 3
