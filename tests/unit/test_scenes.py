"""The scene generator: determinism, label correctness, and the generate command."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from app.training.scenes import CLASS_NAMES, generate_scene, scene_classes
from app.training.scenes import classes as C

SIZE = (96, 72)


def test_same_seed_gives_identical_bytes_and_different_seeds_differ():
    a, b = generate_scene(7, SIZE), generate_scene(7, SIZE)
    assert a.image.tobytes() == b.image.tobytes()
    assert a.labels.tobytes() == b.labels.tobytes()
    c = generate_scene(8, SIZE)
    assert a.image.tobytes() != c.image.tobytes()


def test_shapes_and_dtypes():
    s = generate_scene(3, SIZE)
    assert s.image.shape == (72, 96, 3) and s.image.dtype == np.uint8
    assert s.labels.shape == (72, 96) and s.labels.dtype == np.uint8


@pytest.fixture(scope="module")
def scenes():
    return [generate_scene(seed, SIZE) for seed in range(30)]


def test_labels_are_valid_and_every_class_appears(scenes):
    seen = set()
    for s in scenes:
        values = np.unique(s.labels)
        assert values.max() < len(CLASS_NAMES)
        seen |= set(values.tolist())
    assert seen == set(range(len(CLASS_NAMES))), sorted(set(range(len(CLASS_NAMES))) - seen)
    assert len(CLASS_NAMES) >= 8 and len(scene_classes()) == len(CLASS_NAMES)


def test_scene_kind_decides_the_context_classes(scenes):
    """Water and boats only at a harbour, roads and cars only in a street, and the
    landmark band (mountains / buildings) is the kind's own."""
    kinds = {s.kind for s in scenes}
    assert kinds == {C.HARBOUR, C.STREET}
    for s in scenes:
        present = set(np.unique(s.labels).tolist())
        if s.kind == C.HARBOUR:
            assert not present & {C.ROAD, C.CAR, C.BUILDING}
            assert C.WATER in present
        else:
            assert not present & {C.WATER, C.BOAT, C.MOUNTAIN}
            assert C.ROAD in present


def test_vehicles_sit_on_their_surface(scenes):
    """Below every boat/car column's lowest pixel (its shadow) lies water/road."""
    for s in scenes:
        vehicle = C.VEHICLE_CLASS[s.kind]
        surface = C.SURFACE_CLASS[s.kind]
        mask = s.labels == vehicle
        if not mask.any():
            continue
        h = s.labels.shape[0]
        below_is_surface = 0
        total = 0
        for x in np.flatnonzero(mask.any(0)):
            y = np.flatnonzero(mask[:, x]).max()
            if y + 1 < h:
                total += 1
                below = s.labels[y + 1, x]
                below_is_surface += below in (surface, vehicle, C.GRASS, C.TREE, C.PERSON)
        # occluders in front (a near bank, a nearer vehicle) are allowed; the surface dominates
        assert total == 0 or below_is_surface / total > 0.95


def test_boats_and_cars_share_one_appearance(scenes):
    """The two vehicle classes draw from one colour distribution (context must decide)."""
    colours = {C.BOAT: [], C.CAR: []}
    for s in [generate_scene(seed, (64, 48)) for seed in range(40, 110)]:
        v = C.VEHICLE_CLASS[s.kind]
        if (s.labels == v).any():
            colours[v].append(s.image[s.labels == v].mean(0))
    boat, car = np.array(colours[C.BOAT]), np.array(colours[C.CAR])
    assert len(boat) > 8 and len(car) > 8
    # means of per-scene mean colours agree within a few grey levels relative to their spread
    assert np.all(np.abs(boat.mean(0) - car.mean(0)) < 0.5 * (boat.std(0) + car.std(0)))


def test_generate_command_writes_the_evaluate_layout(tmp_path):
    from app.cli import main

    out = tmp_path / "scenes"
    assert main(["generate", "--out", str(out), "--count", "3", "--seed", "5", "--size", "96x64"]) == 0
    images = sorted((out / "images").iterdir())
    labels = sorted((out / "labels").iterdir())
    assert [p.stem for p in images] == [p.stem for p in labels] == [f"scene_{i:08d}" for i in (5, 6, 7)]
    lab = Image.open(labels[0])
    assert lab.mode == "P" and lab.size == (96, 64)
    assert np.array_equal(np.array(lab), generate_scene(5, (96, 64)).labels)
    assert np.array_equal(np.array(Image.open(images[0]).convert("RGB")), generate_scene(5, (96, 64)).image)
    info = json.loads((out / "classes.json").read_text())
    assert [c["name"] for c in info["classes"]] == list(CLASS_NAMES)
    # refuses to overwrite without --overwrite, and says which file is in the way
    assert main(["generate", "--out", str(out), "--count", "1", "--seed", "5", "--size", "96x64"]) == 1
    assert main(["generate", "--out", str(out), "--count", "1", "--seed", "5", "--size", "96x64",
                 "--overwrite"]) == 0


def test_generate_rejects_bad_arguments(tmp_path, capsys):
    from app.cli import main

    for bad in (["--count", "0"], ["--size", "10x10"]):  # argparse's usage error: exit 2
        with pytest.raises(SystemExit) as exit_:
            main(["generate", "--out", str(tmp_path), *bad])
        assert exit_.value.code == 2


def test_landmarks_stand_at_one_end_only():
    """Mountains/buildings (the deciding cue) occupy at most a third of a wide scene, at
    its left or right end, so the other end of the surface is far from them."""
    for seed in range(12):
        s = generate_scene(seed, (224, 80))
        cue = C.LANDMARK_CLASS[s.kind]
        cols = np.flatnonzero((s.labels == cue).any(0))
        if len(cols) == 0:
            continue  # hidden behind trees
        assert cols.max() < 0.34 * 224 or cols.min() > 0.66 * 224
