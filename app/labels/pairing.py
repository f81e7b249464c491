"""Which label folder belongs to a folder of images, and which label file to each image.

Looked for, in order, beside an image folder ``photos/``: the app's own output
folder ``photos_labels/`` (``segment`` and Label Folder), then the usual dataset
layouts (``images/`` + ``labels/``, VOC's ``JPEGImages/`` + ``SegmentationClass/``,
``masks/``, ``annotations/``; also inside the image folder, or as ``labels/photos/``).
A folder counts only when it holds a label PNG for at least one of the images. Image
``a.jpg`` pairs with ``a.png``; when two images share a stem the app's outputs are
named ``a_jpg.png`` / ``a_png.png`` (app.engine.batch.plan_jobs), and those names are used.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from app.classes import ClassInfo
from app.labels.label_files import LabelFileError, read_labelmap

LABEL_FOLDER_NAMES = ("labels", "SegmentationClass", "masks", "annotations", "label", "mask")
OUTPUT_SUFFIX = "_labels"  # app.gui.batch.options.default_output_dir: photos -> photos_labels


@dataclass
class LabelPairing:
    """The label folder of an image folder and the label file of each image that has one."""

    image_dir: Path
    label_dir: Path
    files: dict[Path, Path] = field(default_factory=dict)   # image -> label PNG
    classes: ClassInfo | None = None                         # from labelmap.txt, None if absent
    problems: list[str] = field(default_factory=list)        # sentences for the user

    def label_for(self, image: Path) -> Path | None:
        return self.files.get(Path(image))

    def describe(self) -> str:
        source = self.classes.title if self.classes else "the model's classes"
        return f"{len(self.files)} label maps in {self.label_dir} ({source})"


def candidate_label_dirs(image_dir: Path) -> list[Path]:
    """Folders that may hold the labels of ``image_dir``, most specific first."""
    image_dir = Path(image_dir)
    parent = image_dir.parent
    found = [image_dir.with_name(image_dir.name + OUTPUT_SUFFIX)]
    for name in LABEL_FOLDER_NAMES:
        found += [parent / name / image_dir.name, parent / name, image_dir / name]
    unique: list[Path] = []
    for path in found:
        if path != image_dir and path not in unique:
            unique.append(path)
    return unique


def label_stems(images: list[Path], image_dir: Path | None = None) -> dict[Path, list[Path]]:
    """Each image's possible label file names without suffix, relative to the label folder,
    as the app's batch run names them: ``sub/a`` for ``image_dir/sub/a.jpg`` (sub-folders
    mirrored), ``sub/a_jpg`` first when ``a.jpg`` and ``a.png`` share a folder."""
    def relative_stem(image: Path) -> Path:
        if image_dir is not None:
            try:
                return image.parent.relative_to(image_dir) / image.stem
            except ValueError:
                pass
        return Path(image.stem)

    wanted = {image: relative_stem(image) for image in images}
    seen: dict[str, int] = {}
    for stem in wanted.values():
        seen[str(stem).casefold()] = seen.get(str(stem).casefold(), 0) + 1
    names: dict[Path, list[Path]] = {}
    for image, stem in wanted.items():
        clash = seen[str(stem).casefold()] > 1
        names[image] = ([stem.with_name(f"{stem.name}_{image.suffix.lstrip('.').lower()}")] if clash else []) + [stem]
    return names


def match_files(images: list[Path], label_dir: Path, image_dir: Path | None = None) -> dict[Path, Path]:
    """Each image's label PNG in ``label_dir`` (regular files only); images without one are left out."""
    matched: dict[Path, Path] = {}
    for image, stems in label_stems(images, image_dir).items():
        for stem in stems:
            candidate = label_dir / stem.with_name(stem.name + ".png")
            if candidate.is_file() and candidate.resolve() != image.resolve():
                matched[image] = candidate
                break
    return matched


def pair_folder(image_dir: Path, images: list[Path], label_dir: Path | None = None) -> LabelPairing | None:
    """The pairing of ``images`` (in ``image_dir``) with ``label_dir``, or the first candidate
    folder that holds labels for them; None when there is none. An explicit ``label_dir``
    is always returned (with a problem noted when nothing in it matches)."""
    image_dir = Path(image_dir)
    folders = [Path(label_dir)] if label_dir is not None else candidate_label_dirs(image_dir)
    for folder in folders:
        if not folder.is_dir():
            continue
        files = match_files(images, folder, image_dir)
        if not files and label_dir is None:
            continue
        pairing = LabelPairing(image_dir, folder, files)
        if not files:
            pairing.problems.append(f"{folder} holds no label PNG named after an image of {image_dir.name} "
                                    "(photo.jpg pairs with photo.png)")
        try:
            pairing.classes = read_labelmap(folder)
        except LabelFileError as exc:
            pairing.problems.append(f"{exc}; the model's classes are used instead")
        return pairing
    return None


def compare_classes(labels_classes: ClassInfo | None, model_classes: ClassInfo | None) -> str | None:
    """A sentence when the label folder's class list and the model's disagree, else None."""
    if labels_classes is None or model_classes is None or labels_classes.names == model_classes.names:
        return None
    if len(labels_classes) != len(model_classes):
        return (f"The labels' class list ({labels_classes.title}, {len(labels_classes)} classes) differs from the "
                f"model's ({len(model_classes)} classes): the labels are shown with their own classes.")
    differ = [i for i, (a, b) in enumerate(zip(labels_classes.names, model_classes.names)) if a != b]
    first = differ[0]
    return (f"The labels' class names differ from the model's at {len(differ)} indices (e.g. {first}: "
            f"{labels_classes.names[first]!r} vs {model_classes.names[first]!r}): the labels are shown "
            "with their own classes.")
