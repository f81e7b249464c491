"""Every name a batch run writes, planned before anything is written.

A run writes, per image, ``NAME.png``, ``NAME_color.png``, ``NAME_overlay.jpg`` and
``NAME.json``, and per run the files of ``RUN_FILES`` at the top of the output
folder. Each image claims all four of its names whatever formats a run asks for,
so names do not change between runs with other formats (resume). No two images
share a name (``x.jpg`` beside ``x_color.jpg`` both want ``x_color.png``), and no
image takes a run file's name (an input ``summary.jpg`` would lose its
``summary.json`` to the run summary).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from app.engine.imageio import is_image_file
from app.engine.records import Job
from app.engine.writers import OUTPUT_FORMATS, RUN_FILES, output_paths
from app.fileio import RANDOM_DIGITS, TEMP_SUFFIX, is_temp_name, name_max, temp_prefix

MANIFEST_NAME = "pspnet-manifest.jsonl"  # what this project wrote here, for which image and settings
LOG_NAME = "pspnet-errors.log"  # tracebacks of programming errors, to report them
LOCK_NAME = ".pspnet-lock"  # held while a run writes into the folder
LEDGER_FILES = (MANIFEST_NAME, LOG_NAME, LOCK_NAME)
RESERVED_NAMES = frozenset(n.casefold() for n in (*RUN_FILES, *LEDGER_FILES))


def collect_sources(inputs: Iterable[str | Path], recursive: bool = False
                    ) -> tuple[list[tuple[Path, Path]], list[str]]:
    """[(source, relative folder)] from files and folders, plus problems (missing inputs)."""
    found: list[tuple[Path, Path]] = []
    problems: list[str] = []
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            pattern = path.rglob("*") if recursive else path.iterdir()
            # Not only regular files: a FIFO or a device named like an image becomes a per-file
            # failure when read (imageio refuses it at once), rather than vanishing silently.
            files = sorted(p for p in pattern if not p.is_dir() and is_image_file(p)
                           and not any(part.startswith(".") for part in p.relative_to(path).parts))
            found += [(p, p.parent.relative_to(path)) for p in files]
        elif os.path.lexists(path):
            found.append((path, Path()))
        else:
            problems.append(f"{path}: no such file or folder")
    return found, problems


def plan_jobs(inputs: Iterable[str | Path], out_dir: str | Path, recursive: bool = False
              ) -> tuple[list[Job], list[str]]:
    """Jobs with output names that collide with nothing, and the problems found in the inputs.

    ``photo.jpg`` -> ``out/photo``; sub-folders are mirrored. When two inputs would
    share a stem (``a.jpg`` and ``a.png``), each gets its extension appended
    (``a_jpg``, ``a_png``); a stem whose output names are taken (by a run file or an
    earlier image, in sorted order of the inputs) gets its extension appended, then
    ``_2``, ``_3``. The names only depend on the set of inputs, so reruns resume
    cleanly. A job whose names are too long for the file system carries the problem.
    """
    out_dir = Path(out_dir)
    sources, problems = collect_sources(inputs, recursive)
    # outputs of an earlier run inside an input folder are not inputs
    inside = [src for src, _ in sources if _is_inside(src, out_dir)]
    sources = [(src, rel) for src, rel in sources if not _is_inside(src, out_dir)]
    if inside and not sources:  # else "no images found", with the images right there
        problems.append(f"the output folder {out_dir} holds every input image ({len(inside)}, e.g. "
                        f"{inside[0].name}); images inside the output folder are taken for an earlier "
                        "run's outputs and not labelled. Choose an output folder outside the input folder")
    unique: dict[Path, Path] = {}
    for src, rel in sources:  # the same file named twice is one job
        unique.setdefault(src.resolve(), rel)
    items = sorted(unique.items(), key=lambda sr: (str(sr[1]), str(sr[0])))
    wanted = [rel / src.stem for src, rel in items]
    stem_count: dict[str, int] = {}
    for w in wanted:
        stem_count[_key(w)] = stem_count.get(_key(w), 0) + 1
    taken: set[str] = set(RESERVED_NAMES)  # top-level names, casefolded, as relative paths
    limit = name_max(out_dir)
    jobs: list[Job] = []
    for (src, rel), w in zip(items, wanted):
        with_ext = rel / f"{src.stem}_{src.suffix.lstrip('.').lower()}"
        candidates = [w, with_ext] if stem_count[_key(w)] == 1 else [with_ext]
        name = next((c for c in candidates if not _claims(c) & taken), None)
        n = 1
        while name is None:
            n += 1
            numbered = with_ext.with_name(f"{with_ext.name}_{n}")
            name = numbered if not _claims(numbered) & taken else None
        taken |= _claims(name)
        jobs.append(Job(src, out_dir / name, _too_long(src, out_dir / name, limit)))
    return jobs, problems


def _key(path: Path) -> str:
    return path.as_posix().casefold()


def _claims(stem: Path) -> set[str]:
    """The names (relative, casefolded) the four outputs of ``stem`` take."""
    return {_key(p) for p in output_paths(stem, OUTPUT_FORMATS).values()}


def _too_long(source: Path, stem: Path, limit: int) -> str:
    longest = max((p.name for p in output_paths(stem, OUTPUT_FORMATS).values()), key=lambda n: len(os.fsencode(n)))
    size = len(os.fsencode(longest))
    if size <= limit:
        return ""
    return (f"{source}: its output names are too long for the file system ({longest[:40]}... is {size} bytes, "
            f"the limit is {limit}); rename the image to a shorter name")


def _is_inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def remove_own_temporaries(out_dir: Path, jobs: Iterable[Job]) -> int:
    """Remove the temporaries (``.NAME.XXXXXXXX.tmp``) of a run's planned names, returning
    how many: only a killed run of this project leaves them. Call it holding the lock."""
    prefixes: dict[Path, set[str]] = {}
    targets = [out_dir / n for n in (*RUN_FILES, MANIFEST_NAME)]
    for job in jobs:
        targets += output_paths(job.stem, OUTPUT_FORMATS).values()
    for target in targets:
        prefixes.setdefault(target.parent, set()).add(temp_prefix(target))
    removed = 0
    tail = RANDOM_DIGITS + len(TEMP_SUFFIX)
    for folder, names in prefixes.items():
        if not folder.is_dir():
            continue
        for entry in os.scandir(folder):
            prefix = entry.name[:-tail]
            if prefix in names and is_temp_name(entry.name, prefix) and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
    return removed
