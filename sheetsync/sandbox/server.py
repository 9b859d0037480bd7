"""HTTP plumbing: a threaded loopback server handing requests to the sandbox."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .gateway import Reply

logger = logging.getLogger(__name__)

# (method, path, query, body, lower-cased headers) -> reply
Dispatch = Callable[[str, str, str, str, dict[str, str]], Reply]


class LoopbackServer(ThreadingHTTPServer):
    """A threaded HTTP server that hands every request to ``dispatch``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, dispatch: Dispatch) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.dispatch = dispatch

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: LoopbackServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        url = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            reply = self.server.dispatch(method, url.path, url.query, body, headers)
        except Exception:
            logger.exception("The Stripe sandbox failed on %s %s", method, url.path)
            body_bytes = b'{"error": {"type": "api_error", "message": "Sandbox failure"}}'
            reply = Reply(500, body_bytes, {})
        self._send(reply)

    def setup(self) -> None:
        super().setup()
        # Small responses go out at once instead of waiting on delayed ACKs.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, reply: Reply) -> None:
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            headers["Content-Length"] = str(len(reply.body))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            logger.debug("The client went away before the response was sent")

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)
