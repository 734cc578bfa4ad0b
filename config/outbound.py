"""Requests to other systems (webhooks, the HTTP request step): one guarded way out.

A destination is resolved once; every address it resolves to must be public unless its
host is listed in ``OUTBOUND_ALLOWED_HOSTS``. The request then goes to the checked
address (the URL's host kept in ``Host`` and, for HTTPS, in SNI and certificate checks),
so a name that resolves differently a moment later (DNS rebinding) cannot reach an
inside address. Redirects are not followed; the answer is read up to a cap; the whole
exchange has a deadline. Headers are never logged: they may carry secrets.
"""

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass

import httpx
from django.conf import settings

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_BYTES = 1_000_000
MAX_URL_LENGTH = 2048
# Clients are kept per destination host (connection pooling without ever reusing a TLS
# connection made for one name on a request for another that shares its address).
MAX_POOLED_HOSTS = 64


class OutboundRefused(Exception):
    """The destination may not be called; the message says why, for people."""


@dataclass(frozen=True)
class OutboundResult:
    status_code: int | None
    body: bytes
    duration_ms: int
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and self.status_code is not None and 200 <= self.status_code < 300


def _allowed_hosts() -> set[str]:
    return {host.strip().lower() for host in settings.OUTBOUND_ALLOWED_HOSTS if host.strip()}


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    # is_global leaves out private, loopback, link-local (169.254.169.254, the cloud
    # metadata address), shared (100.64/10), reserved and unique-local ranges.
    return ip.is_global and not ip.is_multicast


def _parse(url: str) -> httpx.URL:
    if not isinstance(url, str) or not url:
        raise OutboundRefused("Enter a URL.")
    if len(url) > MAX_URL_LENGTH:
        raise OutboundRefused(f"A URL has at most {MAX_URL_LENGTH} characters.")
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        raise OutboundRefused("Enter a valid URL.") from error
    if parsed.scheme not in ("http", "https"):
        raise OutboundRefused("Only http and https URLs can be called.")
    if not parsed.host:
        raise OutboundRefused("Enter a URL with a host name.")
    if parsed.userinfo:
        raise OutboundRefused("Put credentials in a header, not in the URL.")
    return parsed


def _resolve(parsed: httpx.URL) -> str:
    """The address to connect to, after checking every address the host resolves to."""
    host = parsed.host.lower()
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as error:
        raise OutboundRefused(f"The host {host} could not be found.") from error
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise OutboundRefused(f"The host {host} could not be found.")
    if host not in _allowed_hosts() and not all(_is_public(a) for a in addresses):
        raise OutboundRefused(
            f"{host} is a private, loopback or link-local address; list it in "
            "OUTBOUND_ALLOWED_HOSTS to allow it."
        )
    return addresses[0]


def validate_destination(url: str) -> None:
    """Raise OutboundRefused when ``url`` may not be called (used when a URL is saved)."""
    _resolve(_parse(url))


_clients: dict[str, httpx.Client] = {}
_clients_lock = threading.Lock()


def _client_for(host: str) -> httpx.Client:
    with _clients_lock:
        client = _clients.get(host)
        if client is None:
            if len(_clients) >= MAX_POOLED_HOSTS:
                _clients.pop(next(iter(_clients))).close()
            client = httpx.Client(follow_redirects=False, trust_env=False)
            _clients[host] = client
        return client


def send(
    method: str,
    url: str,
    headers: dict | None = None,
    json_body=None,
    content: bytes | None = None,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> OutboundResult:
    """Make one request. Never raises: a refused destination, a time-out, a failed
    connection or an over-long answer come back as the result's ``error``."""
    started = time.monotonic()

    def result(status_code=None, body=b"", error=""):
        elapsed = int((time.monotonic() - started) * 1000)
        return OutboundResult(status_code, body, elapsed, error)

    try:
        parsed = _parse(url)
        address = _resolve(parsed)
    except OutboundRefused as refused:
        return result(error=str(refused))
    request_headers = dict(headers or {})
    request_headers["Host"] = parsed.netloc.decode("ascii")
    # TLS is checked against the URL's name although the connection goes to its address.
    extensions = {"sni_hostname": parsed.host} if parsed.scheme == "https" else {}
    client = _client_for(parsed.host.lower())
    request = client.build_request(
        method.upper(),
        parsed.copy_with(host=address),
        headers=request_headers,
        json=json_body if content is None else None,
        content=content,
        timeout=timeout,
        extensions=extensions,
    )
    deadline = started + timeout
    try:
        response = client.send(request, stream=True)
    except httpx.TimeoutException:
        return result(error=f"No answer within {timeout:g} s.")
    except httpx.HTTPError as error:
        return result(error=f"Could not connect: {type(error).__name__}.")
    try:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                body = b"".join(chunks)[:max_bytes]
                return result(response.status_code, body, f"Answer over {max_bytes:,} bytes.")
            if time.monotonic() > deadline:
                return result(response.status_code, b"".join(chunks), _late(timeout))
        return result(response.status_code, b"".join(chunks))
    except httpx.TimeoutException:
        return result(response.status_code, b"", _late(timeout))
    except httpx.HTTPError as error:
        return result(response.status_code, b"", f"The answer broke off: {type(error).__name__}.")
    finally:
        response.close()


def _late(timeout: float) -> str:
    return f"The answer took longer than {timeout:g} s."
