"""The desktop window's ONNX mode: the backend never exports (builds=False), records what it
lacked, counts what ran; the child process's command line checks its shapes."""

from __future__ import annotations

import pytest

from app.checkpoints.meta import ProtocolSettings
from app.engine.onnx_build import main, parse_shape, shape_text
from app.engine.segmenter import Segmenter
from app.paths import CACHE_ENV
from tests.engine_fixtures import block_image, varied_loaded

IMAGE = block_image(48, 64, 1)


@pytest.mark.parametrize("name, protocol, wanted", [
    ("onnx", ProtocolSettings("fast", base_size=32), {(1, 3, 24, 32)}),
    ("onnx", ProtocolSettings("official", base_size=32, crop_size=17, flip=True), {(2, 3, 17, 17)}),
    ("auto", ProtocolSettings("official", base_size=32, crop_size=17, flip=True), {(2, 3, 17, 17)}),
    ("auto", ProtocolSettings("fast", base_size=32), set()),  # a whole-image pass: auto never asks
])
def test_no_build_runs_pytorch_and_records_the_missing_graph(tmp_path, monkeypatch, name, protocol, wanted):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    loaded = varied_loaded()
    reference = Segmenter(loaded, "cpu").segment(IMAGE, protocol)
    segmenter = Segmenter(loaded, "cpu", backend=name)
    segmenter.backend.builds = False
    result = segmenter.segment(IMAGE, protocol)
    assert segmenter.backend.missing == wanted
    assert segmenter.backend.cache.builds == 0 and not (tmp_path / "onnx").exists()
    ran = segmenter.backend.take_ran()
    assert ran["onnx"] == 0 and ran["torch"] >= 1 and segmenter.backend.take_ran() == {"onnx": 0, "torch": 0}
    assert (result.labels == reference.labels).all() and result.notes == []


def test_shapes_are_checked():
    assert parse_shape("2x3x473x672") == (2, 3, 473, 672) and shape_text((2, 3, 473, 672)) == "2x3x473x672"
    for bad in ("1x4x8x8", "1x3x8", "0x3x8x8", "ax3x8x8"):
        with pytest.raises(ValueError):
            parse_shape(bad)


def test_a_bad_child_command_fails_with_a_message(tmp_path, capsys):
    assert main([str(tmp_path / "none.safetensors"), "1x3x8x8"]) == 1
    assert capsys.readouterr().err.strip()
    assert main([str(tmp_path / "none.safetensors"), "1x4x8x8"]) == 1
    assert "BATCHx3xHEIGHTxWIDTH" in capsys.readouterr().err


def test_loaded_graph_never_exports(tmp_path):
    from app.engine.onnx_backend import GraphCache

    cache = GraphCache(tmp_path)
    assert cache.loaded_graph(varied_loaded().model, (1, 3, 16, 16)) is None and cache.builds == 0
