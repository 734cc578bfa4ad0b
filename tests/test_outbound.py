"""The one way out to other systems: refused destinations, caps, time-outs, no redirects,
and the connection going to the address that was checked."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config import outbound
from config.outbound import OutboundRefused, send, validate_destination


class Receiver(BaseHTTPRequestHandler):
    seen: list = []

    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        Receiver.seen.append(
            {"path": self.path, "host": self.headers["Host"], "body": body, "method": self.command}
        )
        if self.path == "/fail":
            self._reply(500, b"broken")
        elif self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif self.path == "/big":
            self._reply(200, b"x" * 3000)
        elif self.path == "/slow":
            time.sleep(1.5)
            self._reply(200, b"late")
        else:
            self._reply(200, json.dumps({"ok": True}).encode())

    def _reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture
def receiver():
    Receiver.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_local(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1", "receiver.test"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8000/",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
    ],
)
def test_private_loopback_and_metadata_destinations_are_refused(url, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    with pytest.raises(OutboundRefused, match="OUTBOUND_ALLOWED_HOSTS"):
        validate_destination(url)
    result = send("GET", url)
    assert not result.ok
    assert result.status_code is None
    assert "OUTBOUND_ALLOWED_HOSTS" in result.error


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "Only http and https"),
        ("ftp://example.com/", "Only http and https"),
        ("http://user:secret@example.com/", "credentials"),
        ("http://" + "a" * 3000 + ".com/", "at most"),
        ("", "Enter a URL"),
    ],
)
def test_malformed_destinations_are_refused_with_a_reason(url, message):
    with pytest.raises(OutboundRefused, match=message):
        validate_destination(url)


def test_a_public_address_is_accepted_without_listing(monkeypatch):
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))]
    )
    validate_destination("https://example.com/hook")


def test_a_name_resolving_to_any_private_address_is_refused(monkeypatch, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    monkeypatch.setattr(
        socket,
        "getaddrinfo",
        lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 80)), (2, 1, 6, "", ("10.0.0.5", 80))],
    )
    with pytest.raises(OutboundRefused):
        validate_destination("http://mixed.example/")


def test_an_allowed_local_receiver_gets_the_json_body_and_the_answer_comes_back(
    receiver, allow_local
):
    result = send("POST", f"http://127.0.0.1:{receiver}/hook", json_body={"a": 1})
    assert result.ok
    assert result.status_code == 200
    assert json.loads(result.body) == {"ok": True}
    assert json.loads(Receiver.seen[0]["body"]) == {"a": 1}
    assert result.duration_ms >= 0


def test_the_request_goes_to_the_checked_address_with_the_name_kept_as_host(
    receiver, allow_local, monkeypatch
):
    resolved = []
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "receiver.test":
            resolved.append(host)
            return [(2, 1, 6, "", ("127.0.0.1", receiver))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    result = send("GET", f"http://receiver.test:{receiver}/ok")
    assert result.ok
    # Resolved once, by the check; the connection used that address, not a second lookup.
    assert resolved == ["receiver.test"]
    assert Receiver.seen[0]["host"] == f"receiver.test:{receiver}"


def test_a_failing_answer_is_not_ok_and_keeps_its_status(receiver, allow_local):
    result = send("POST", f"http://127.0.0.1:{receiver}/fail", json_body={})
    assert not result.ok
    assert result.status_code == 500
    assert result.body == b"broken"


def test_redirects_are_not_followed(receiver, allow_local):
    result = send("GET", f"http://127.0.0.1:{receiver}/redirect")
    assert result.status_code == 302
    assert not result.ok
    assert [seen["path"] for seen in Receiver.seen] == ["/redirect"]


def test_an_answer_over_the_cap_is_cut_and_reported(receiver, allow_local):
    result = send("GET", f"http://127.0.0.1:{receiver}/big", max_bytes=1000)
    assert not result.ok
    assert len(result.body) == 1000
    assert "over 1,000 bytes" in result.error


def test_no_answer_within_the_time_out_is_an_error(receiver, allow_local):
    result = send("GET", f"http://127.0.0.1:{receiver}/slow", timeout=0.3)
    assert not result.ok
    assert "0.3 s" in result.error


def test_nobody_listening_is_an_error_not_an_exception(allow_local):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = send("GET", f"http://127.0.0.1:{port}/")
    assert result.status_code is None
    assert "Could not connect" in result.error


def test_clients_are_pooled_per_host_and_bounded():
    outbound._clients.clear()
    first = outbound._client_for("a.example")
    assert outbound._client_for("a.example") is first
    for index in range(outbound.MAX_POOLED_HOSTS + 5):
        outbound._client_for(f"host{index}.example")
    assert len(outbound._clients) == outbound.MAX_POOLED_HOSTS
