"""Refuse a request whose address cannot be trusted as text, once, before any view.

NUL bytes in a query string or a path parameter used to reach PostgreSQL (which cannot
hold them) and answer 500: `GET /messenger/?token=a%00b`, `DELETE .../tags/a%00b/`.
Query bytes that are not UTF-8 were silently replaced; they are refused as well, so a
view never sees a value other than the one the client sent. In the path, Django has
already re-escaped such bytes as `%XX` text, which a tag may legitimately contain
(`%ff` sent as `%25ff`): the two cannot be told apart there, and that text is harmless.
"""

from urllib.parse import unquote_to_bytes

from django.core.handlers.wsgi import get_bytes_from_wsgi
from django.http import HttpResponseBadRequest, JsonResponse

BAD_ADDRESS = "The address holds a null character or bytes that are not UTF-8."


def _bad_text(raw: bytes) -> bool:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return "\x00" in text


def address_is_bad(request) -> bool:
    if "\x00" in request.path_info:
        return True
    query = get_bytes_from_wsgi(request.META, "QUERY_STRING", "")
    return bool(query) and _bad_text(unquote_to_bytes(query.replace(b"+", b" ")))


def drop_unstorable_headers(request) -> None:
    """A cookie holding NUL (a forged session id reaches PostgreSQL on every page) is
    treated as absent; NUL is cut from the User-Agent, which login attempts store."""
    for name, value in list(request.COOKIES.items()):
        if "\x00" in name or "\x00" in value:
            del request.COOKIES[name]
    if "\x00" in request.META.get("HTTP_USER_AGENT", ""):
        request.META["HTTP_USER_AGENT"] = request.META["HTTP_USER_AGENT"].replace("\x00", "")


class SafeAddressMiddleware:
    """400 for NUL in the path, NUL or bytes that are not UTF-8 in the query string;
    cookies and headers that could not be stored are dropped."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        drop_unstorable_headers(request)
        if address_is_bad(request):
            if request.path_info.startswith("/api/"):
                return JsonResponse({"detail": BAD_ADDRESS}, status=400)
            return HttpResponseBadRequest(BAD_ADDRESS)
        return self.get_response(request)
