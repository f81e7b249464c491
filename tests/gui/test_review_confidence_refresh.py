"""After a Label Folder run the folder list's confidences and its lowest-first order come from
the run's new NAME.json records, without opening the folder again."""

from __future__ import annotations

from app.gui.batch import BatchOptions
from app.gui.batch.options import default_output_dir
from app.gui.docks.folder_rows import CONF_COL
from app.labels.confidence import lowest_confidence_first, read_mean_confidence
from tests.gui.batch_fixtures import make_folder, start_and_wait


def test_a_finished_label_folder_run_updates_the_confidences_and_the_order(qtbot, window, tmp_path):
    folder = make_folder(tmp_path, 4)
    out = default_output_dir(folder)
    folder_dock = window.folder
    folder_dock.sort_by_confidence(True)
    start_and_wait(qtbot, window, BatchOptions(folder, out, formats=("label", "json")))
    paths = folder_dock.paths()
    expected = {p: read_mean_confidence(out / f"{p.stem}.json") for p in paths}
    assert len(expected) == 4 and all(v is not None for v in expected.values())
    for path in paths:
        item = folder_dock._items[str(path)]  # noqa: SLF001 - the row the user sees
        assert item.text(CONF_COL) == f"{100 * expected[path]:.1f}%"
    assert folder_dock.sort.isEnabled()
    assert paths == lowest_confidence_first(sorted(paths), expected)
