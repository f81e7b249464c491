"""Fetching a published checkpoint onto the user's disk, safely.

The body is streamed into a partial file beside the destination (partial_download.py), hashed
on the way, checked against the size and sha256 the catalogue knows, and only then
renamed into place; a file already at the destination is never replaced. A checksum
mismatch or more bytes than announced removes the partial; a cancel, a short body, a
full disk or a network error keeps it for the next try (an HTTP Range request resumes
it). Each raises ``DownloadError`` with a sentence for the user.

No Qt here: the GUI runs ``download_model`` on a thread of its own and turns the
progress callback into signals.
"""

from __future__ import annotations

import hashlib
import http.client
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable

from app import fileio
from app.checkpoints.catalogue import PublishedFile, PublishedModel
from app.checkpoints.partial_download import (discard_partial, hash_file, is_empty_file, kept_note, partial_paths,
                                              recorded_url, resumable_bytes, write_record)

CHUNK = 1 << 16
TIMEOUT_S = 20.0  # per connect and per read: a cancel is noticed within one read at worst
USER_AGENT = "PSPNet-Studio"

Progress = Callable[[int, "int | None"], None]  # bytes done, bytes expected (None: not known)


class DownloadError(RuntimeError):
    """A download that did not produce a file; the message is for the user as is."""


class DownloadCancelled(DownloadError):
    pass


class _WebRedirectsOnly(urllib.request.HTTPRedirectHandler):
    """urllib would follow a redirect to ftp://; a download only goes to http(s)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201 - urllib's
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise DownloadError(f"{req.full_url} redirects to {newurl!r}, which is not an http(s) link; "
                                "nothing was downloaded.")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_WebRedirectsOnly)


@dataclass(frozen=True)
class Downloaded:
    path: Path
    size: int
    sha256: str
    kept: bool = False  # the file was already there and was left as it was


def download_file(url: str, dest: Path, *, size: int | None = None, sha256: str = "", sha256_prefix: str = "",
                  progress: Progress | None = None, cancel: threading.Event | None = None,
                  timeout: float = TIMEOUT_S) -> Downloaded:
    """Download ``url`` to ``dest`` (which must not exist) and return what was written.

    A cancel or a broken connection keeps what arrived in ``NAME.part`` (with a record of
    the link in ``NAME.part.json``); the next call asks the server for the rest (an HTTP
    Range request) and checks the whole file's size and sha256 as if fetched in one go."""
    dest = Path(dest)
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise DownloadError(f"Not downloading {url!r}: only http and https links are fetched.")
    if dest.exists() or dest.is_symlink():
        raise DownloadError(f"{dest} already exists; it was kept and nothing was downloaded.")
    part, record = partial_paths(dest)
    if (part.exists() or part.is_symlink()) and not resumable_bytes(url, dest) and not is_empty_file(part):
        raise DownloadError(f"{part} exists and is not a download of {url}; it was kept and nothing was "
                            "downloaded. Move it away to download again.")
    if (record.exists() or record.is_symlink()) and recorded_url(record) is None:
        raise DownloadError(f"{record} exists and is not the app's download record; it was kept and "
                            "nothing was downloaded. Move it away to download again.")
    host = urllib.parse.urlsplit(url).netloc
    try:
        return _download(url, dest, size, sha256, sha256_prefix, progress, cancel, timeout)
    except DownloadError:
        raise
    except urllib.error.HTTPError as error:
        raise DownloadError(f"The server {host} answered {error.code} {error.reason} for {url}."
                            + kept_note(part)) from error
    except urllib.error.URLError as error:
        raise DownloadError(f"Could not reach {host}: {_reason(error.reason)}. "
                            "Check the network connection, or download the file in a browser "
                            "and open it with File > Open Weights." + kept_note(part)) from error
    except FileExistsError as error:  # appeared while downloading: still not replaced
        raise DownloadError(f"{dest} appeared while downloading; it was kept and the download "
                            f"stays in {part.name}.") from error
    except http.client.HTTPException as error:  # e.g. IncompleteRead: the connection dropped
        raise DownloadError(f"The connection to {host} broke off during the download "
                            f"({type(error).__name__})." + kept_note(part)) from error
    except (TimeoutError, socket.timeout) as error:
        raise DownloadError(f"{host} stopped sending data (no answer for {timeout:.0f} s)."
                            + kept_note(part)) from error
    except OSError as error:  # a dropped connection, a full disk, an unwritable folder
        raise DownloadError(f"Downloading {url} to {dest.parent} failed: {_reason(error)}."
                            + kept_note(part)) from error


def _download(url: str, dest: Path, size: int | None, sha256: str, prefix: str, progress: Progress | None,
              cancel: threading.Event | None, timeout: float) -> Downloaded:
    part = partial_paths(dest)[0]
    have = resumable_bytes(url, dest)
    if have and size is not None and have >= size:  # complete already (stopped before the rename)
        return _finish(url, dest, hash_file(part), have, size, sha256, prefix)
    headers = {"User-Agent": USER_AGENT}
    if have:
        headers["Range"] = f"bytes={have}-"
    try:
        response = _OPENER.open(urllib.request.Request(url, headers=headers), timeout=timeout)  # noqa: S310
    except urllib.error.HTTPError as error:
        if error.code != 416 or not have:
            raise
        discard_partial(dest)  # the server no longer has those bytes: start again
        return _download(url, dest, size, sha256, prefix, progress, cancel, timeout)
    with response:
        start = _resume_offset(response, have)
        announced = response.headers.get("Content-Length")
        remaining = _expected_size(announced, None if size is None else size - start, url, start)
        expected = None if remaining is None else start + remaining
        write_record(dest, url, expected)
        digest = hash_file(part) if start else hashlib.sha256()
        with open(part, "ab" if start else "wb") as out:
            out.truncate(start)
            try:
                done = _stream(response, out, digest, start, expected, progress, cancel)
            except DownloadCancelled:
                raise
            except DownloadError:  # more bytes than announced: nothing of it can be trusted
                discard_partial(dest)
                raise
    if expected is not None and done < expected:  # the body ended early: keep it for the next try
        raise DownloadError(f"The download of {url} stopped after {done:,} of {expected:,} bytes."
                            + kept_note(part))
    return _finish(url, dest, digest, done, expected, sha256, prefix)


def _resume_offset(response, have: int) -> int:  # noqa: ANN001 - urllib's response
    """Where the body starts: ``have`` if the server sent the asked-for range, else 0."""
    if not have or response.status != 206:
        return 0
    content_range = response.headers.get("Content-Range", "")  # "bytes START-END/TOTAL"
    first = content_range.removeprefix("bytes ").split("-", 1)[0].strip()
    if first != str(have):
        raise DownloadError(f"The server sent bytes from {first or '?'} when asked for the rest from {have:,}; "
                            "the partial download was kept and nothing was added to it.")
    return have


def _finish(url: str, dest: Path, digest: "hashlib._Hash", done: int, expected: int | None, sha256: str,
            prefix: str) -> Downloaded:
    part, record = partial_paths(dest)
    try:
        _check(url, done, expected, digest, sha256, prefix)
    except DownloadError:
        discard_partial(dest)
        raise
    fileio.publish(part, dest, overwrite=False)
    record.unlink(missing_ok=True)
    return Downloaded(dest, done, digest.hexdigest())


def download_model(model: PublishedModel, folder: Path, *, progress: Progress | None = None,
                   cancel: threading.Event | None = None, timeout: float = TIMEOUT_S) -> list[Downloaded]:
    """Download every file of ``model`` into ``folder`` (made if missing), in order.

    A file already in the folder is kept as it is (reported with ``kept=True``); the
    progress counts bytes over all the files still to fetch."""
    if not model.downloadable:
        raise DownloadError(f"{model.name} has no direct download link; get it from "
                            f"{model.page or model.source_url} and open it with File > Open Weights.")
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"Cannot create the folder {folder}: {_reason(error)}.") from error
    results: list[Downloaded] = []
    missing = [f for f in model.files if not (folder / f.name).exists()]
    total = model.size if len(missing) == len(model.files) else None
    offset = 0
    for entry in model.files:
        path = folder / entry.name
        if entry not in missing:
            results.append(Downloaded(path, path.stat().st_size, "", kept=True))
            continue
        results.append(_fetch_one(entry, path, offset, total, progress, cancel, timeout))
        offset += results[-1].size
    return results


def _fetch_one(entry: PublishedFile, path: Path, offset: int, total: int | None, progress: Progress | None,
               cancel: threading.Event | None, timeout: float) -> Downloaded:
    def report(done: int, expected: int | None) -> None:
        if progress is not None:
            progress(offset + done, total if total is not None else expected)

    return download_file(entry.url, path, size=entry.size, sha256=entry.sha256, sha256_prefix=entry.sha256_prefix,
                         progress=report, cancel=cancel, timeout=timeout)


def _expected_size(header: str | None, known: int | None, url: str, start: int = 0) -> int | None:
    """The bytes still to come: what the catalogue says, checked against what the server announces."""
    announced = int(header) if header and header.strip().isdigit() else None
    if known is not None and announced is not None and known != announced:
        raise DownloadError(f"{url} is {announced + start:,} bytes but the published file is {known + start:,} "
                            "bytes: not the file the catalogue names; nothing was downloaded.")
    return known if known is not None else announced


def _stream(response, out: BinaryIO, digest: "hashlib._Hash", done: int, expected: int | None,  # noqa: ANN001
            progress: Progress | None, cancel: threading.Event | None) -> int:
    if progress is not None:
        progress(done, expected)
    while True:
        if cancel is not None and cancel.is_set():
            out.flush()
            raise DownloadCancelled("The download was cancelled." + kept_note(Path(out.name)))
        chunk = response.read(CHUNK)
        if not chunk:
            break
        out.write(chunk)
        digest.update(chunk)
        done += len(chunk)
        if expected is not None and done > expected:
            raise DownloadError(f"The server sent more than the {expected:,} bytes expected; "
                                "nothing was saved.")
        if progress is not None:
            progress(done, expected)
    return done


def _check(url: str, done: int, expected: int | None, digest: "hashlib._Hash", sha256: str, prefix: str) -> None:
    if expected is not None and done != expected:
        raise DownloadError(f"The download of {url} stopped after {done:,} of {expected:,} bytes; "
                            "nothing was saved.")
    actual = digest.hexdigest()
    wanted = (sha256 or prefix).lower()
    if wanted and not actual.startswith(wanted):
        raise DownloadError(f"The file from {url} does not match its published checksum (sha256 "
                            f"{actual[:16]}..., expected {wanted[:16]}...); it was discarded.")


def _reason(error: object) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
