"""The downloader against a server on 127.0.0.1 started here: never the network."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from app.checkpoints.catalogue import PublishedFile, PublishedModel
from app.checkpoints.download import DownloadCancelled, DownloadError, download_file, download_model
from tests.local_http import LocalServer, Route


@pytest.fixture
def server():
    with LocalServer() as running:
        yield running


def payload(size: int, seed: int = 0) -> bytes:
    return bytes((i * 31 + seed) % 251 for i in range(size))


def leftovers(folder) -> list[str]:
    return sorted(os.listdir(folder))


def test_success_writes_the_file_with_progress_and_checks_hash(server, tmp_path):
    body = payload(300_000)
    server.routes["/w.pth"] = Route(body)
    seen: list[tuple[int, int | None]] = []
    got = download_file(server.url("/w.pth"), tmp_path / "w.pth", size=len(body),
                        sha256=hashlib.sha256(body).hexdigest(), progress=lambda d, t: seen.append((d, t)))
    assert (tmp_path / "w.pth").read_bytes() == body
    assert got.size == len(body) and got.sha256 == hashlib.sha256(body).hexdigest()
    assert leftovers(tmp_path) == ["w.pth"], "no temporary is left beside it"
    assert seen[0] == (0, len(body)) and seen[-1] == (len(body), len(body))
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) > 3


def test_sha256_prefix_is_checked_too(server, tmp_path):
    body = payload(5000, 3)
    server.routes["/m.pth"] = Route(body)
    prefix = hashlib.sha256(body).hexdigest()[:8]
    download_file(server.url("/m.pth"), tmp_path / "m.pth", sha256_prefix=prefix)
    assert (tmp_path / "m.pth").read_bytes() == body


@pytest.mark.parametrize("kind", ["sha256", "sha256_prefix"])
def test_checksum_mismatch_leaves_nothing(server, tmp_path, kind):
    body = payload(100_000)
    server.routes["/bad.pth"] = Route(body)
    wrong = hashlib.sha256(body + b"x").hexdigest()
    with pytest.raises(DownloadError, match="checksum"):
        download_file(server.url("/bad.pth"), tmp_path / "bad.pth", **{kind: wrong if kind == "sha256" else wrong[:8]})
    assert leftovers(tmp_path) == []


def _cancel_after(limit: int, cancel: threading.Event):
    def stop(done: int, _total: int | None) -> None:
        if done >= limit:
            cancel.set()
    return stop


def _interrupted(server, tmp_path, body: bytes, name: str = "slow.pth") -> int:
    """Start a download of ``body`` and cancel it part-way; return the bytes kept."""
    server.routes[f"/{name}"] = Route(body, chunk=8192, pause_s=0.005)
    cancel = threading.Event()
    with pytest.raises(DownloadCancelled, match="kept in slow.pth.part; the next download resumes"):
        download_file(server.url(f"/{name}"), tmp_path / name, progress=_cancel_after(50_000, cancel), cancel=cancel)
    assert leftovers(tmp_path) == [f"{name}.part", f"{name}.part.json"]
    kept = (tmp_path / f"{name}.part").stat().st_size
    assert 50_000 <= kept < len(body) and (tmp_path / f"{name}.part").read_bytes() == body[:kept]
    return kept


def test_cancel_keeps_the_bytes_and_the_next_download_resumes(server, tmp_path):
    body = payload(400_000)
    kept = _interrupted(server, tmp_path, body)
    server.routes["/slow.pth"].pause_s = 0
    seen: list[int] = []
    got = download_file(server.url("/slow.pth"), tmp_path / "slow.pth", size=len(body),
                        sha256=hashlib.sha256(body).hexdigest(), progress=lambda d, t: seen.append(d))
    assert server.range_headers[-1] == f"bytes={kept}-"
    assert seen[0] == kept and seen[-1] == len(body), "progress goes on from what was kept"
    assert (tmp_path / "slow.pth").read_bytes() == body and got.sha256 == hashlib.sha256(body).hexdigest()
    assert leftovers(tmp_path) == ["slow.pth"]


def test_server_without_ranges_restarts_from_the_start(server, tmp_path):
    body = payload(300_000, 5)
    _interrupted(server, tmp_path, body)
    server.routes["/slow.pth"] = Route(body, ranges=False)
    download_file(server.url("/slow.pth"), tmp_path / "slow.pth", sha256=hashlib.sha256(body).hexdigest())
    assert (tmp_path / "slow.pth").read_bytes() == body and leftovers(tmp_path) == ["slow.pth"]


def test_corrupted_partial_fails_the_checksum_is_discarded_and_the_next_try_is_fresh(server, tmp_path):
    body = payload(300_000, 7)
    _interrupted(server, tmp_path, body)
    part = tmp_path / "slow.pth.part"
    part.write_bytes(b"\0" * 100 + part.read_bytes()[100:])
    digest = hashlib.sha256(body).hexdigest()
    server.routes["/slow.pth"].pause_s = 0
    with pytest.raises(DownloadError, match="does not match its published checksum"):
        download_file(server.url("/slow.pth"), tmp_path / "slow.pth", sha256=digest)
    assert leftovers(tmp_path) == []
    download_file(server.url("/slow.pth"), tmp_path / "slow.pth", sha256=digest)
    assert server.range_headers[-1] is None and (tmp_path / "slow.pth").read_bytes() == body


def test_partial_of_another_link_or_not_ours_is_kept_and_refused(server, tmp_path):
    body = payload(200_000, 9)
    _interrupted(server, tmp_path, body)
    server.routes["/moved.pth"] = Route(body)
    requests = len(server.requests)
    with pytest.raises(DownloadError, match="is not a download of .*it was kept"):
        download_file(server.url("/moved.pth"), tmp_path / "slow.pth")
    (tmp_path / "own.pth.part").write_bytes(b"the user's own notes")
    with pytest.raises(DownloadError, match="own.pth.part exists"):
        download_file(server.url("/moved.pth"), tmp_path / "own.pth")
    assert (tmp_path / "own.pth.part").read_bytes() == b"the user's own notes"
    (tmp_path / "notes.pth.part.json").write_text('{"my": "settings"}')
    with pytest.raises(DownloadError, match="notes.pth.part.json exists and is not the app's download record"):
        download_file(server.url("/moved.pth"), tmp_path / "notes.pth")
    assert (tmp_path / "notes.pth.part.json").read_text() == '{"my": "settings"}'
    os.mkfifo(tmp_path / "fifo.pth.part.json")
    with pytest.raises(DownloadError, match="fifo.pth.part.json exists"):
        download_file(server.url("/moved.pth"), tmp_path / "fifo.pth")
    assert len(server.requests) == requests, "nothing was requested"


def test_complete_partial_is_published_without_a_request(server, tmp_path):
    body = payload(120_000, 2)
    _interrupted(server, tmp_path, body)
    (tmp_path / "slow.pth.part").write_bytes(body)  # all of it arrived; the rename did not happen
    requests = len(server.requests)
    download_file(server.url("/slow.pth"), tmp_path / "slow.pth", size=len(body),
                  sha256=hashlib.sha256(body).hexdigest())
    assert len(server.requests) == requests and (tmp_path / "slow.pth").read_bytes() == body
    assert leftovers(tmp_path) == ["slow.pth"]


def test_range_no_longer_satisfiable_starts_again(server, tmp_path):
    body = payload(200_000, 4)
    _interrupted(server, tmp_path, body)
    smaller = payload(20_000, 4)  # the file on the server changed and is now shorter than what was kept
    server.routes["/slow.pth"] = Route(smaller)
    download_file(server.url("/slow.pth"), tmp_path / "slow.pth", sha256=hashlib.sha256(smaller).hexdigest())
    assert (tmp_path / "slow.pth").read_bytes() == smaller and leftovers(tmp_path) == ["slow.pth"]


@pytest.mark.parametrize("status", [404, 500])
def test_server_error_is_a_clear_message_and_nothing(server, tmp_path, status):
    server.routes["/e.pth"] = Route(status=status)
    with pytest.raises(DownloadError, match=f"answered {status}"):
        download_file(server.url("/e.pth"), tmp_path / "e.pth")
    assert leftovers(tmp_path) == []


def test_connection_broken_off_keeps_the_bytes_for_the_next_try(server, tmp_path):
    body = payload(20_000)
    server.routes["/short.pth"] = Route(body[:10_000], announce=20_000)
    with pytest.raises(DownloadError, match="broke off|stopped after") as raised:
        download_file(server.url("/short.pth"), tmp_path / "short.pth")
    assert "the next download resumes from there" in str(raised.value)
    assert (tmp_path / "short.pth.part").read_bytes() == body[:10_000]
    server.routes["/short.pth"] = Route(body)
    download_file(server.url("/short.pth"), tmp_path / "short.pth", size=len(body),
                  sha256=hashlib.sha256(body).hexdigest())
    assert server.range_headers[-1] == "bytes=10000-"
    assert (tmp_path / "short.pth").read_bytes() == body and leftovers(tmp_path) == ["short.pth"]


def test_wrong_announced_size_is_refused_before_writing(server, tmp_path):
    server.routes["/other.pth"] = Route(payload(1000))
    with pytest.raises(DownloadError, match="not the file"):
        download_file(server.url("/other.pth"), tmp_path / "other.pth", size=999)
    assert leftovers(tmp_path) == []


def test_unreachable_host_is_a_network_message(tmp_path):
    with LocalServer() as closed:
        url = closed.url("/gone.pth")
    with pytest.raises(DownloadError, match="Could not reach 127.0.0.1"):
        download_file(url, tmp_path / "gone.pth", timeout=5)
    assert leftovers(tmp_path) == []


def test_existing_file_is_kept_and_not_requested(server, tmp_path):
    server.routes["/w.pth"] = Route(payload(1000))
    (tmp_path / "w.pth").write_bytes(b"the user's own file")
    with pytest.raises(DownloadError, match="already exists; it was kept"):
        download_file(server.url("/w.pth"), tmp_path / "w.pth")
    assert (tmp_path / "w.pth").read_bytes() == b"the user's own file"
    assert server.requests == []


def test_only_http_links(tmp_path):
    (tmp_path / "src").write_bytes(b"x")
    with pytest.raises(DownloadError, match="only http"):
        download_file((tmp_path / "src").as_uri(), tmp_path / "dst")
    assert not (tmp_path / "dst").exists()


def test_model_with_two_files_goes_to_its_folder_and_keeps_what_is_there(server, tmp_path):
    encoder, decoder = payload(70_000, 1), payload(30_000, 2)
    server.routes["/enc.pth"], server.routes["/dec.pth"] = Route(encoder), Route(decoder)
    model = PublishedModel(
        key="pair", name="pair", source="test", source_url="", dataset="ade20k", num_classes=150, backbone="r",
        files=(PublishedFile("encoder_epoch_1.pth", server.url("/enc.pth"), len(encoder),
                             hashlib.sha256(encoder).hexdigest()),
               PublishedFile("decoder_epoch_1.pth", server.url("/dec.pth"), len(decoder),
                             sha256_prefix=hashlib.sha256(decoder).hexdigest()[:8])))
    seen: list[tuple[int, int | None]] = []
    got = download_model(model, tmp_path / "models" / "pair", progress=lambda d, t: seen.append((d, t)))
    assert [g.path.read_bytes() for g in got] == [encoder, decoder]
    assert seen[-1] == (len(encoder) + len(decoder), len(encoder) + len(decoder))
    (tmp_path / "models" / "pair" / "decoder_epoch_1.pth").unlink()
    again = download_model(model, tmp_path / "models" / "pair")
    assert again[0].kept and not again[1].kept
    assert server.requests.count("/enc.pth") == 1, "the encoder already there was not fetched again"


def test_model_without_direct_link_says_where_to_get_it(tmp_path):
    model = PublishedModel(key="drive", name="Drive model", source="test", source_url="", dataset="voc2012",
                           num_classes=21, backbone="r", files=(PublishedFile("train_epoch_50.pth"),),
                           page="https://example.invalid/folder")
    with pytest.raises(DownloadError, match="example.invalid/folder"):
        download_model(model, tmp_path)
    assert leftovers(tmp_path) == []


def test_redirects_are_followed_to_http_only(server, tmp_path):
    body = payload(2000)
    server.routes["/moved.pth"] = Route(location=server.url("/real.pth"))
    server.routes["/real.pth"] = Route(body)
    download_file(server.url("/moved.pth"), tmp_path / "a.pth", sha256=hashlib.sha256(body).hexdigest())
    assert (tmp_path / "a.pth").read_bytes() == body
    (tmp_path / "secret").write_bytes(b"a local file")
    server.routes["/to-ftp.pth"] = Route(location="ftp://127.0.0.1/weights.pth")  # urllib would follow it
    with pytest.raises(DownloadError, match="not an http"):
        download_file(server.url("/to-ftp.pth"), tmp_path / "b.pth")
    server.routes["/to-file.pth"] = Route(location=(tmp_path / "secret").as_uri())  # urllib refuses this one
    with pytest.raises(DownloadError, match="answered 302"):
        download_file(server.url("/to-file.pth"), tmp_path / "c.pth")
    assert sorted(os.listdir(tmp_path)) == ["a.pth", "secret"]
