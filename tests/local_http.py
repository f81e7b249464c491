"""A tiny HTTP server on 127.0.0.1 for the downloader's tests (no test needs the network).

``LocalServer.routes`` maps a path to a ``Route``: the body to send, a status, and
how to misbehave (announce more bytes than sent, pause between chunks, ignore Range).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    announce: int | None = None  # Content-Length sent (default: the body's length)
    chunk: int = 1 << 16
    pause_s: float = 0.0  # between chunks: lets a test cancel mid-way
    location: str = ""  # answer 302 to this address instead
    ranges: bool = True  # honour "Range: bytes=N-" with 206 Partial Content, as file servers do


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self.range_headers: list[str | None] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                server.requests.append(self.path)
                server.range_headers.append(self.headers.get("Range"))
                route = server.routes.get(self.path)
                if route is None:
                    self.send_error(404, "Not Found")
                    return
                if route.location:
                    self.send_response(302)
                    self.send_header("Location", route.location)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if route.status != 200:
                    self.send_error(route.status)
                    return
                body, asked = route.body, self.headers.get("Range", "")
                if route.ranges and asked.startswith("bytes=") and asked.endswith("-"):
                    first = int(asked[len("bytes="):-1])
                    if first >= len(body):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {first}-{len(body) - 1}/{len(body)}")
                    body = body[first:]
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(route.announce if route.announce is not None
                                                       else len(body)))
                self.end_headers()
                try:
                    for start in range(0, len(body), route.chunk):
                        self.wfile.write(body[start:start + route.chunk])
                        self.wfile.flush()
                        if route.pause_s:
                            time.sleep(route.pause_s)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a cancel): expected

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"

    def __enter__(self) -> "LocalServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)
