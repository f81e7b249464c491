"""One sha256 per weights file per process: the same values the ledger recorded before,
made once, and made again for a file replaced or written since (or while it was read)."""

from __future__ import annotations

import hashlib
import os

import pytest

from app.engine import ledger_manifest, weights_digest

CONTENT = bytes(range(256)) * 5000 + b"tail"  # 1.2 MB: more than one read block, not a multiple
# the values the ledger's own hashing (ledger_manifest.file_sha256 before this module) wrote
# into manifests for CONTENT and for the card '{"name": "card"}' beside it
RECORDED = "46f3f96349e9fb1e6ea3a25bc7d0164a8617fcc6d75c588a448460e932e11040"
CARD_RECORDED = "48f768bd7c440eca5191f2df5c6ec1dea5f72f45e8c02e435fdcd38aa4b79d4b"


@pytest.fixture(autouse=True)
def fresh():
    weights_digest.forget()
    yield
    weights_digest.forget()


@pytest.fixture
def weights(tmp_path):
    path = tmp_path / "w.pth"
    path.write_bytes(CONTENT)
    return path


def test_digest_is_the_one_ledgers_recorded(weights):
    weights.with_suffix(".json").write_text('{"name": "card"}')
    assert weights_digest.sha256(weights) == RECORDED == hashlib.sha256(CONTENT).hexdigest()
    assert ledger_manifest.weights_fingerprint(str(weights)) == [["w.pth", RECORDED], ["w.json", CARD_RECORDED]]


def test_made_once_per_file_and_shared(weights, tmp_path):
    before = weights_digest.hashed
    link = tmp_path / "link.pth"
    link.symlink_to(weights)
    assert weights_digest.sha256(weights) == RECORDED
    assert ledger_manifest.file_sha256(weights) == RECORDED  # the ledger's caller shares it
    assert weights_digest.sha256(link) == RECORDED  # the same file by another name
    assert weights_digest.hashed == before + 1


def test_background_start_is_waited_for_not_repeated(weights):
    before = weights_digest.hashed
    weights_digest.start(weights)
    weights_digest.start(weights)  # already under way: no second thread
    assert weights_digest.sha256(weights) == RECORDED
    assert weights_digest.hashed == before + 1


def test_replaced_file_of_same_size_and_time_is_hashed_again(weights, tmp_path):
    assert ledger_manifest.file_sha256(weights) == RECORDED
    info = weights.stat()
    other = tmp_path / "other.pth"
    other.write_bytes(CONTENT[::-1])  # same size
    os.utime(other, ns=(info.st_atime_ns, info.st_mtime_ns))  # same time, as cp -p or rsync -t leave it
    os.replace(other, weights)  # another inode under the name
    assert (weights.stat().st_size, weights.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    assert ledger_manifest.file_sha256(weights) == hashlib.sha256(CONTENT[::-1]).hexdigest() != RECORDED


def test_file_written_in_place_is_hashed_again(weights):
    assert weights_digest.sha256(weights) == RECORDED
    info = weights.stat()
    with open(weights, "r+b") as handle:  # same inode, same size
        handle.write(b"X")
    os.utime(weights, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    assert weights_digest.sha256(weights) == hashlib.sha256(b"X" + CONTENT[1:]).hexdigest()


def test_file_written_while_read_is_read_again(weights, monkeypatch):
    real = hashlib.sha256
    writes = []

    class WritesOnce:  # the first read of the file sees a writer change it underneath
        def __init__(self):
            self.inner = real()

        def update(self, block):
            if not writes:
                writes.append(1)
                with open(weights, "r+b") as handle:
                    handle.write(b"Y")
                info = weights.stat()
                os.utime(weights, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
            self.inner.update(block)

        def hexdigest(self):
            return self.inner.hexdigest()

    monkeypatch.setattr(weights_digest.hashlib, "sha256", WritesOnce)
    before = weights_digest.hashed
    expected = real(b"Y" + CONTENT[1:]).hexdigest()
    assert weights_digest.sha256(weights) == expected
    assert weights_digest.hashed == before + 2  # the torn read was not recorded
    monkeypatch.setattr(weights_digest.hashlib, "sha256", real)
    assert weights_digest.sha256(weights) == expected and weights_digest.hashed == before + 2


def test_missing_file_raises_in_the_caller(tmp_path):
    weights_digest.start(tmp_path / "gone.pth")  # nothing to start
    with pytest.raises(FileNotFoundError):
        weights_digest.sha256(tmp_path / "gone.pth")
