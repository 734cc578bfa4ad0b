"""A real HTTP receiver on loopback for the webhook tests: a thread serving on a free
port, keeping every request and answering as the test scripts it."""

import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def delivery_id(self) -> str:
        return self.headers["inbox-delivery"]


@dataclass
class Receiver:
    url: str = ""
    received: list[Received] = field(default_factory=list)
    # Scripted answers, used in order: (status, seconds to wait first); then 200.
    answers: list[tuple[int, float]] = field(default_factory=list)
    # While down, every request gets a 503.
    down: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_answer(self) -> tuple[int, float]:
        with self.lock:
            if self.down:
                return 503, 0
            return self.answers.pop(0) if self.answers else (200, 0)

    def delivered(self) -> list[Received]:
        """The requests answered with a 2xx."""
        with self.lock:
            return [r for r in self.received if r.headers.get("x-answered") == "200"]


def signature_is_valid(secret: str, received: Received, *, tolerance: int = 300) -> bool:
    """Verify Inbox-Signature as a receiver would (Stripe's scheme)."""
    parts = dict(part.split("=", 1) for part in received.headers["inbox-signature"].split(","))
    timestamp = int(parts["t"])
    expected = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + received.body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - timestamp) < tolerance


def start_receiver() -> tuple[Receiver, ThreadingHTTPServer]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            status, wait = receiver.next_answer()
            headers = {key.lower(): value for key, value in self.headers.items()}
            headers["x-answered"] = str(status)
            with receiver.lock:
                receiver.received.append(Received(headers, body))
            if wait:
                time.sleep(wait)
            answer = json.dumps({"received": status == 200}).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a time-out test)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    return receiver, server
