"""Fetching a published checkpoint onto the user's disk, safely.

The body is streamed into a temporary file beside the destination (app/fileio), hashed
on the way, checked against the size and sha256 the catalogue knows, and only then
renamed into place; a file already at the destination is never replaced. A cancel,
a checksum mismatch, a short body, a full disk or any network error removes the
temporary and raises ``DownloadError`` with a sentence for the user.

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
from typing import Callable

from app import fileio
from app.checkpoints.catalogue import PublishedFile, PublishedModel

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
    """Download ``url`` to ``dest`` (which must not exist) and return what was written."""
    dest = Path(dest)
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise DownloadError(f"Not downloading {url!r}: only http and https links are fetched.")
    if dest.exists() or dest.is_symlink():
        raise DownloadError(f"{dest} already exists; it was kept and nothing was downloaded.")
    host = urllib.parse.urlsplit(url).netloc
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with _OPENER.open(request, timeout=timeout) as response:  # noqa: S310 - scheme checked
            expected = _expected_size(response.headers.get("Content-Length"), size, url)
            with fileio.atomic_path(dest, overwrite=False) as temp:
                digest, done = _stream(response, temp, expected, progress, cancel)
                _check(url, done, expected, digest, sha256, sha256_prefix)
    except DownloadError:
        raise
    except urllib.error.HTTPError as error:
        raise DownloadError(f"The server {host} answered {error.code} {error.reason} for {url}.") from error
    except urllib.error.URLError as error:
        raise DownloadError(f"Could not reach {host}: {_reason(error.reason)}. "
                            "Check the network connection, or download the file in a browser "
                            "and open it with File > Open Weights.") from error
    except FileExistsError as error:  # appeared while downloading: still not replaced
        raise DownloadError(f"{dest} appeared while downloading; it was kept and the download "
                            "was discarded.") from error
    except http.client.HTTPException as error:  # e.g. IncompleteRead: the connection dropped
        raise DownloadError(f"The connection to {host} broke off during the download "
                            f"({type(error).__name__}); nothing was saved.") from error
    except (TimeoutError, socket.timeout) as error:
        raise DownloadError(f"{host} stopped sending data (no answer for {timeout:.0f} s); "
                            "nothing was saved.") from error
    except OSError as error:  # a dropped connection, a full disk, an unwritable folder
        raise DownloadError(f"Downloading {url} to {dest.parent} failed: {_reason(error)}; "
                            "nothing was saved.") from error
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


def _expected_size(header: str | None, known: int | None, url: str) -> int | None:
    announced = int(header) if header and header.strip().isdigit() else None
    if known is not None and announced is not None and known != announced:
        raise DownloadError(f"{url} is {announced:,} bytes but the published file is {known:,} bytes: "
                            "not the file the catalogue names; nothing was downloaded.")
    return known if known is not None else announced


def _stream(response, temp: Path, expected: int | None, progress: Progress | None,
            cancel: threading.Event | None) -> tuple["hashlib._Hash", int]:
    digest, done = hashlib.sha256(), 0
    if progress is not None:
        progress(0, expected)
    with open(temp, "wb") as out:
        while True:
            if cancel is not None and cancel.is_set():
                raise DownloadCancelled("The download was cancelled; nothing was saved.")
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
    return digest, done


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
