"""Protocol options: each is honoured by the chosen protocol or refused with a message
that names the options that protocol takes; values are range-checked; ``info`` lists
every protocol a checkpoint offers."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from app.cli import UsageError, main
from app.cli.protocol_options import add_protocol_arguments, protocol_settings
from app.engine.fast import fast_input_size
from tests.unit.tiny_layouts import tiny_published


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="main.py segment")
    add_protocol_arguments(parser)
    return parser.parse_args(list(argv))


@pytest.fixture(scope="module")
def metas(tmp_path_factory):
    out = {}
    for fmt in ("semseg", "mmseg", "csail"):
        folder = tmp_path_factory.mktemp(fmt)
        out[fmt] = tiny_published(fmt, folder).meta
    return out


def test_csail_long_side_is_honoured(metas):
    # was: the short side still got 600 (a 400x600 photo ran at 600x900)
    settings = protocol_settings(parse("--base-size", "600", "--resize-side", "long"), metas["csail"])
    assert (settings.resize_side, settings.base_size) == ("long", 600)
    assert fast_input_size(400, 600, settings) == (400, 600)
    assert fast_input_size(300, 1200, settings) == (152, 600)  # CSAIL's rounding up to 8 stays
    short = protocol_settings(parse("--base-size", "600"), metas["csail"])
    assert fast_input_size(400, 600, short) == (600, 904)


def test_every_given_option_reaches_the_settings(metas):
    s = protocol_settings(parse("--protocol", "slide", "--base-size", "256", "--max-long", "1024",
                                "--crop-size", "128", "--stride", "96"), metas["mmseg"])
    assert (s.name, s.style, s.base_size, s.max_long, s.crop_size, s.stride) == ("slide", "mmseg", 256, 1024,
                                                                                 128, 96)
    s = protocol_settings(parse("--protocol", "ms", "--scales", "0.5", "1", "--no-flip"), metas["mmseg"])
    assert (s.style, s.scales, s.flip) == ("mmseg", (0.5, 1.0), False)
    s = protocol_settings(parse("--protocol", "ms", "--sizes", "300", "450", "--max-long", "800"),
                          metas["csail"])
    assert (s.style, s.sizes, s.max_long) == ("csail", (300, 450), 800)
    s = protocol_settings(parse("--protocol", "ms", "--base-size", "256", "--crop-size", "225"), metas["semseg"])
    assert (s.style, s.base_size, s.crop_size, len(s.scales), s.flip) == ("semseg", 256, 225, 6, True)
    # a new crop without a stride takes the default step of that crop, not the old 341
    s = protocol_settings(parse("--protocol", "slide", "--crop-size", "256"), metas["mmseg"])
    assert s.crop_size == 256 and s.stride is None


@pytest.mark.parametrize("fmt,argv,named,takes", [
    ("semseg", ["--crop-size", "100"], "--crop-size does not apply to the fast protocol",
     "--base-size, --resize-side, --max-long"),
    ("mmseg", ["--flip"], "--flip/--no-flip does not apply to the fast protocol", "--base-size"),
    ("semseg", ["--protocol", "official", "--resize-side", "short", "--stride", "100"],
     "--resize-side, --stride do not apply to the official protocol",
     "--base-size, --crop-size, --scales, --flip/--no-flip"),
    ("csail", ["--protocol", "ms", "--base-size", "400"], "--base-size does not apply to the ms protocol",
     "--sizes, --max-long"),
    ("mmseg", ["--protocol", "ms", "--crop-size", "300"], "--crop-size does not apply",
     "--base-size, --max-long, --scales, --flip/--no-flip"),
    ("mmseg", ["--protocol", "slide", "--scales", "1.5"], "--scales does not apply to the slide protocol",
     "--base-size, --max-long, --crop-size, --stride"),
])
def test_options_a_protocol_would_ignore_are_refused(metas, fmt, argv, named, takes):
    with pytest.raises(UsageError) as err:
        protocol_settings(parse(*argv), metas[fmt])
    assert named in str(err.value) and f"it takes {takes}" in str(err.value)


def test_inconsistent_options_and_missing_protocols_are_refused(metas):
    with pytest.raises(UsageError, match="does not offer the 'slide' protocol; it offers fast, official, ms"):
        protocol_settings(parse("--protocol", "slide"), metas["semseg"])
    with pytest.raises(UsageError, match="with --resize-side long the base size is the long side"):
        protocol_settings(parse("--resize-side", "long", "--max-long", "900"), metas["mmseg"])
    with pytest.raises(UsageError, match=r"the stride \(400\) must not exceed the crop size \(256\)"):
        protocol_settings(parse("--protocol", "slide", "--crop-size", "256", "--stride", "400"), metas["mmseg"])


@pytest.mark.parametrize("argv,message", [
    (["--crop-size", "8"], "the crop size must be between 64 and 4096, not 8"),
    (["--base-size", "100000"], "the base size must be between 32 and 8192"),
    (["--scales", "0.5", "0"], "a scale must be between 0.25 and 4"),
    (["--stride", "4"], "the stride must be between 16 and 4096"),
    (["--sizes", "ten"], "a size must be a whole number, not 'ten'"),
    (["--scales", "nan"], "a scale must be a finite number, not nan"),
])
def test_out_of_range_values_are_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_:
        parse(*argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_segment_refuses_an_ignored_option_with_exit_2(tmp_path, capsys, metas):
    from PIL import Image

    import tiny_layouts as tl
    from tests.engine_fixtures import block_image, varied_loaded

    weights = tl.write_csail(tmp_path / "csail", varied_loaded().model)
    Image.fromarray(block_image(40, 60, 1)).save(tmp_path / "a.png")
    code = main(["segment", str(tmp_path / "a.png"), "--out", str(tmp_path / "out"), "--weights", str(weights),
                 "--protocol", "ms", "--scales", "1", "1.5"])
    err = capsys.readouterr().err
    assert code == 2 and "--scales does not apply to the ms protocol of this csail checkpoint" in err
    assert "it takes --sizes, --max-long" in err and not (tmp_path / "out").exists()


def test_info_lists_every_protocol_with_its_settings_and_options(tmp_path, capsys):
    import tiny_layouts as tl
    from tests.engine_fixtures import varied_loaded

    weights = tl.write_mmseg(tmp_path / "psp.pth", varied_loaded().model)
    assert main(["info", str(weights)]) == 0
    out = capsys.readouterr().out
    lines = out[out.index("protocols:"):].splitlines()[1:9]
    assert [line.split()[0] for line in lines[0::2]] == ["fast", "official", "ms", "slide"]
    assert ("ms           mmseg's test-time augmentation: whole image at ratios 0.5, 0.75, 1, 1.25, 1.5, "
            "1.75 of short side 512 (long side at most 2048), flip on, softmax averaged") in out
    assert ("slide        mmseg's slide inference: short side 512 (long side at most 2048), 512x512 windows, "
            "stride 341, logits averaged") in out
    assert lines[7].split("options: ")[1] == "--base-size, --max-long, --crop-size, --stride"
    weights = tl.write_csail(tmp_path / "csail", varied_loaded().model)
    assert main(["info", str(weights)]) == 0
    out = capsys.readouterr().out
    assert ("ms           CSAIL's multi-size test: whole image at short sides 300, 375, 450, 525, 600 "
            "(long side at most 1000), softmax averaged") in out and "slide " not in out


def test_evaluate_runs_each_protocol(tmp_path, capsys):
    """`evaluate` takes every protocol: the scores of each come from the labels it wrote."""
    from PIL import Image

    import tiny_layouts as tl
    from tests.engine_fixtures import block_image, varied_loaded

    weights = tl.write_mmseg(tmp_path / "psp.pth", varied_loaded().model)
    for sub in ("images", "labels"):
        (tmp_path / "data" / sub).mkdir(parents=True)
    image = block_image(48, 64, 3)
    Image.fromarray(image).save(tmp_path / "data" / "images" / "a.png")
    Image.fromarray(np.zeros((48, 64), np.uint8)).save(tmp_path / "data" / "labels" / "a.png")
    small = {"fast": ["--base-size", "48", "--max-long", "96"], "official": ["--base-size", "64", "--crop-size", "64"],
             "ms": ["--base-size", "48", "--max-long", "96", "--scales", "0.75", "1"],
             "slide": ["--base-size", "48", "--max-long", "96", "--crop-size", "64", "--stride", "32"]}
    for name, options in small.items():
        assert main(["evaluate", "--data", str(tmp_path / "data"), "--weights", str(weights),
                     "--protocol", name, *options]) == 0, name
        captured = capsys.readouterr()
        assert f"protocol {name}" in captured.err and "mIoU" in captured.out
