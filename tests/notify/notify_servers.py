"""Real servers on 127.0.0.1 for notifier tests: an HTTP sink and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class HttpSink:
    """What the HTTP server received, and what it answers: the queued `answers` first (status,
    body, headers), one per request, then `status` and `body` (after `delay`)."""

    url: str = ""
    status: int = 200
    body: bytes = b"ok"
    delay: float = 0.0
    requests: list[tuple[str, dict[str, str], Any]] = field(default_factory=list)
    answers: list[tuple[int, bytes, dict[str, str]]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)


@contextmanager
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink()
    release = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length))
            sink.requests.append((self.path, dict(self.headers.items()), payload))
            sink.arrived.append(time.monotonic())
            if sink.answers:
                status, body, headers = sink.answers.pop(0)
            else:
                status, body, headers = sink.status, sink.body, {}
                if sink.delay:
                    release.wait(sink.delay)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    sink.url = f"http://127.0.0.1:{server.server_address[1]}/hook/SECRET-TOKEN"
    try:
        yield sink
    finally:
        release.set()
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class SmtpSink:
    port: int = 0
    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = message_from_bytes(envelope.content)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), mail))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A port nothing listens on now (aiosmtpd's controller cannot start on port 0)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
