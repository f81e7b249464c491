"""Issue 17: the weights file's sha256 (the batch ledger's record of which weights made the
labels), made once per process and, where started with the load, while the model is built.

    python benchmarks/bench_weights_digest.py [--weights PTH] [--rounds 5]

In one process, interleaved rounds, medians, ratios against the baseline of each round:

- *baseline*: what a run did before ``app.engine.weights_digest``: the checkpoint loaded
  (``load_checkpoint``), then the ledger's fingerprint hashed the file in the caller's thread;
- *started with the load*: ``weights_digest.start(path)`` just before ``load_checkpoint``,
  then the ledger's fingerprint (it waits for the thread where it is not done);
- *asked again*: the fingerprint a second time in the process (a second folder run in the
  window, or a second caller), against hashing the file again;
- *the two digests of a run*: the ledger's file digest alone, the ONNX key's digest of the
  state-dict tensors alone (``onnx_keys.weights_digest``, another value over other bytes),
  and both at once as ``segment --backend onnx`` makes them (the tensors' in a thread, the
  file's in the caller's): what either would cost if it could be derived from the other.

Each round forgets the recorded digests first; the file is in the page cache for all of
them (a warm-up load first). Prints seconds and ratios; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.checkpoints import load_checkpoint  # noqa: E402
from app.engine import ledger_manifest, weights_digest  # noqa: E402
from app.engine.onnx_keys import WeightDigests  # noqa: E402
from app.paths import DEFAULT_WEIGHTS  # noqa: E402


def previous_sha256(path: Path) -> str:
    """The ledger's own hashing before the shared digest (ledger_manifest.file_sha256)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def baseline(path: Path) -> tuple[float, str]:
    started = time.perf_counter()
    load_checkpoint(path)
    value = previous_sha256(path)
    return time.perf_counter() - started, value


def started_with_load(path: Path) -> tuple[float, str]:
    weights_digest.forget()
    started = time.perf_counter()
    weights_digest.start(path)
    load_checkpoint(path)
    value = ledger_manifest.weights_fingerprint(str(path))[0][1]
    return time.perf_counter() - started, value


def asked_again(path: Path) -> tuple[float, float, str]:
    started = time.perf_counter()
    again = previous_sha256(path)
    hashed = time.perf_counter() - started
    ledger_manifest.weights_fingerprint(str(path))  # recorded by started_with_load, or now
    started = time.perf_counter()
    value = ledger_manifest.weights_fingerprint(str(path))[0][1]
    assert value == again
    return hashed, time.perf_counter() - started, value


def both_digests(path: Path, model) -> tuple[float, float, float, float]:
    """(file alone, tensors alone, the file's with the tensors' thread running, both done) in s."""
    started = time.perf_counter()
    previous_sha256(path)
    file_s = time.perf_counter() - started
    started = time.perf_counter()
    WeightDigests().digest(model)
    tensors_s = time.perf_counter() - started
    digests = WeightDigests()
    started = time.perf_counter()
    digests.start(model)
    previous_sha256(path)
    file_with_s = time.perf_counter() - started
    digests.digest(model)
    return file_s, tensors_s, file_with_s, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    path = args.weights
    print(f"{path} ({path.stat().st_size / 1e6:.0f} MB), {args.rounds} interleaved rounds")
    model = load_checkpoint(path).model  # warm-up: imports, page cache
    previous_sha256(path)
    rows: dict[str, list[float]] = {"baseline": [], "started": [], "hash again": [], "asked again": [],
                                    "file": [], "tensors": [], "file beside tensors": [], "both": []}
    for _ in range(args.rounds):
        old_s, old = baseline(path)
        new_s, new = started_with_load(path)
        hash_s, again_s, value = asked_again(path)
        if not old == new == value:
            raise SystemExit("the digests differ: the shared digest is not the ledger's value")
        for name, seconds in zip(rows, (old_s, new_s, hash_s, again_s, *both_digests(path, model))):
            rows[name].append(seconds)
    med = {name: statistics.median(values) for name, values in rows.items()}
    per_round = statistics.median(n / o for n, o in zip(rows["started"], rows["baseline"]))
    print(f"load + ledger digest, baseline: {med['baseline']:.3f} s "
          f"(rounds {' / '.join(f'{s:.3f}' for s in rows['baseline'])})")
    print(f"load + ledger digest, started with the load: {med['started']:.3f} s "
          f"(rounds {' / '.join(f'{s:.3f}' for s in rows['started'])}) = {med['started'] / med['baseline']:.2f}x "
          f"the baseline (median of per-round ratios {per_round:.2f}x)")
    print(f"the digest asked again in the process: {1000 * med['asked again']:.2f} ms against "
          f"{1000 * med['hash again']:.0f} ms hashing again = {med['asked again'] / med['hash again']:.4f}x")
    print(f"the file's digest alone {med['file']:.3f} s, the tensors' alone {med['tensors']:.3f} s; at once: "
          f"the file's {med['file beside tensors']:.3f} s = {med['file beside tensors'] / med['file']:.2f}x alone, "
          f"both {med['both']:.3f} s = {med['both'] / (med['file'] + med['tensors']):.2f}x one after the other")
    print("digests equal to the ledger's previous value in every round")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
