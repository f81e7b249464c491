"""Numeric options of generate and train: out of range is a usage error (exit 2) naming the
option and its range, before any work starts; `--synthetic 0` never means 1200."""

from __future__ import annotations

import pytest

from app.cli import build_parser, main


def _usage_error(argv: list[str], capsys) -> str:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    return capsys.readouterr().err


@pytest.mark.parametrize("option,value,words", [
    ("--synthetic", "0", "--synthetic must be between 1 and 50000, not 0"),
    ("--synthetic", "-5", "between 1 and"),
    ("--synthetic", "1e3", "--synthetic must be a whole number, not '1e3'"),
    ("--epochs", "0", "--epochs must be between 1 and"),
    ("--batch-size", "0", "--batch-size must be between 1 and"),
    ("--batch-size", "100000", "--batch-size must be between 1 and 1024"),
    ("--threads", "-1", "--threads must be between 0 and"),
    ("--workers", "0", "--workers must be between 1 and"),
    ("--base-width", "-16", "--base-width must be between 1 and 512"),
    ("--lr", "0", "--lr must be between"),
    ("--lr", "nan", "--lr must be a finite number"),
    ("--context-dropout", "1", "--context-dropout must be between 0 and 0.99"),
    ("--input-scale", "inf", "--input-scale must be a finite number"),
    ("--val-count", "0", "--val-count must be between 1 and"),
    ("--test-count", "-1", "--test-count must be between 0 and"),
    ("--crop", "8x8", "--crop '8x8': each side must be between 32 and 4096"),
    ("--crop", "100000", "each side must be between 32 and 4096"),
])
def test_train_ranges(tmp_path, capsys, option, value, words):
    err = _usage_error(["train", option, value, "--out", str(tmp_path / "w.safetensors")], capsys)
    assert words in err and option in err
    assert list(tmp_path.iterdir()) == []  # nothing was started or written


@pytest.mark.parametrize("option,value,words", [
    ("--count", "0", "--count must be between 1 and 100000, not 0"),
    ("--count", "-3", "--count must be between 1 and"),
    ("--count", "10000000000", "--count must be between 1 and 100000"),
    ("--seed", "-1", "--seed must be between 0 and"),
    ("--size", "10x10", "--size '10x10': each side must be between 32 and 4096"),
    ("--size", "640x99999", "each side must be between 32 and 4096"),
    ("--size", "wide", "is not a size"),
])
def test_generate_ranges(tmp_path, capsys, option, value, words):
    err = _usage_error(["generate", "--out", str(tmp_path / "scenes"), option, value], capsys)
    assert words in err
    assert list(tmp_path.iterdir()) == []


def test_values_in_range_are_kept():
    args = build_parser("train").parse_args(["--synthetic", "1", "--epochs", "3", "--threads", "0",
                                             "--crop", "64x32", "--lr", "0.01", "--context-dropout", "0"])
    assert (args.synthetic, args.epochs, args.threads, args.crop, args.lr) == (1, 3, 0, (64, 32), 0.01)
    args = build_parser("generate").parse_args(["--out", "x", "--count", "1", "--size", "256", "--seed", "0"])
    assert (args.count, args.size, args.seed) == (1, (256, 256), 0)


def test_synthetic_one_is_one_scene(monkeypatch, tmp_path):
    """`--synthetic 1` reaches the recipe as 1 (`args.synthetic or 1200` turned 0 into 1200)."""
    import app.training.train as training
    from app.training.recipe import Recipe

    seen = {}

    def fake_train(recipe, *args, **kwargs):
        seen["synthetic"] = recipe.synthetic
    monkeypatch.setattr(training, "train", fake_train)
    assert main(["train", "--synthetic", "1", "--epochs", "1", "--out", str(tmp_path / "w.safetensors")]) == 0
    assert seen == {"synthetic": 1}
    assert main(["train", "--epochs", "1", "--out", str(tmp_path / "v.safetensors")]) == 0
    assert seen == {"synthetic": Recipe().synthetic}
