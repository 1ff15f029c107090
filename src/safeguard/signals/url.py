"""URLs, as the URL lists of hotlines carry them: matched whole or by prefix.

A URL is normalised to one canonical form, ``host[:port]/path[?query]``: the scheme is
dropped (http and https are equal), the host is lowercased, turned to ASCII (IDNA) and
loses a leading ``www.``, default ports (80, 443), user info and the fragment are
dropped, percent-encoding is normalised, dot segments resolved and repeated slashes
collapsed, tracking parameters (``TRACKING_PARAMETERS``) removed and the others sorted.

A listed URL whose path ends in ``/`` (a bare host is ``host/``) covers itself and every
URL under it; one without a trailing slash matches that URL with or without one. A
queried URL is looked up by equality in each of its ``lookup_forms``: itself, itself
with its trailing slash toggled, and every ``host/.../`` prefix of its path. A host entry
does not cover subdomains, nor another port.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from urllib.parse import SplitResult, urlsplit

from safeguard.errors import InvalidSignal
from safeguard.signals.base import SignalValue
from safeguard.signals.text_values import TextSignal

MAX_URL_LENGTH = 8192
"""The longest URL accepted, before and after normalisation."""

MAX_PREFIX_DEPTH = 64
"""Listed prefixes are found up to this many path segments deep."""

TRACKING_PARAMETERS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "rb_clickid",
        "s_cid",
        "ref_src",
    }
)
"""Query parameters (besides every ``utm_*`` one) that only track a visit, removed."""

_DEFAULT_PORTS = frozenset({80, 443})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_SAFE = _PATH_SAFE | frozenset("?")
_PARAM_SAFE = _QUERY_SAFE - frozenset("&=")
_HEX = frozenset("0123456789abcdefABCDEF")


class UrlSignal(TextSignal):
    """URLs of a URL list, looked up by equality in the database (whole or by prefix)."""

    name = "url"
    examples: tuple[str, ...] = ("example.com/", "example.org/")

    def normalise(self, value: str) -> str:
        return normalise_url(value)

    def lookup_forms(self, value: str) -> Sequence[SignalValue]:
        """The listed values that would match the URL ``value``: its normal form, that
        form with its trailing slash toggled, and every ``host/.../`` prefix."""
        return [SignalValue(form) for form in url_forms(normalise_url(value))]


URL = UrlSignal()


def normalise_url(value: str) -> str:
    """The canonical form of an http(s) URL, with or without its scheme; InvalidSignal
    if it is not one."""
    if not isinstance(value, str):
        raise InvalidSignal("a URL must be a string")
    text = value.strip()
    if not text:
        raise InvalidSignal("a URL must not be empty")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidSignal(f"a URL must be at most {MAX_URL_LENGTH} characters")
    if any(ord(c) < 33 or ord(c) == 127 for c in text):
        raise InvalidSignal("a URL must not hold spaces or control characters")
    parts = _split(text)
    host = _host(parts)
    path = _path(parts.path)
    query = _query(parts.query)
    normal = host + path + (f"?{query}" if query else "")
    if len(normal) > MAX_URL_LENGTH:
        raise InvalidSignal(f"a URL must be at most {MAX_URL_LENGTH} characters")
    return normal


def url_forms(normal: str) -> list[str]:
    """The forms of a normalised URL to look up: itself, itself with the trailing slash
    of its path toggled (the query kept), then each ``host/.../`` prefix, shortest first
    (up to ``MAX_PREFIX_DEPTH`` segments)."""
    address, mark, query = normal.partition("?")
    host, _, rest = address.partition("/")
    path = "/" + rest
    toggled = path[:-1] if path.endswith("/") else path + "/"
    forms = [normal]
    if toggled:
        forms.append(host + toggled + mark + query)
    segments = [s for s in path.split("/") if s]
    depth = min(len(segments), MAX_PREFIX_DEPTH)
    forms += [host + "/" + "".join(f"{s}/" for s in segments[:n]) for n in range(depth + 1)]
    return list(dict.fromkeys(forms))


def _split(text: str) -> SplitResult:
    """The URL's parts, ``http://`` assumed when no scheme is given."""
    scheme = _SCHEME.match(text)
    has_scheme = scheme is not None and not text[scheme.end() :][:1].isdigit()
    if text.startswith("//"):
        text = "http:" + text
    elif not has_scheme:
        text = "http://" + text
    try:
        parts = urlsplit(text)
    except ValueError as exc:
        raise InvalidSignal(f"invalid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidSignal(f"a URL must be http or https, not {parts.scheme!r}")
    return parts


def _host(parts: SplitResult) -> str:
    """``host[:port]``: lowercase ASCII, without ``www.`` and without a default port."""
    try:
        hostname, port = parts.hostname, parts.port
    except ValueError as exc:
        raise InvalidSignal(f"invalid URL: {exc}") from None
    if not hostname:
        raise InvalidSignal("a URL must name a host")
    host = _ip_host(hostname) if ":" in hostname else _domain(hostname)
    return host if port is None or port in _DEFAULT_PORTS else f"{host}:{port}"


def _ip_host(hostname: str) -> str:
    try:
        return f"[{ipaddress.IPv6Address(hostname).compressed}]"
    except ValueError:
        raise InvalidSignal(f"invalid IPv6 host {hostname!r}") from None


def _domain(hostname: str) -> str:
    name = hostname.rstrip(".")
    try:
        ascii_name = name.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise InvalidSignal(f"invalid host name {hostname!r}") from None
    labels = ascii_name.split(".")
    if len(ascii_name) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidSignal(f"invalid host name {hostname!r}")
    while len(labels) > 2 and labels[0] == "www":
        labels = labels[1:]
    return ".".join(labels)


def _path(raw: str) -> str:
    """The path with percent-encoding normalised, repeated slashes collapsed and dot
    segments resolved; ``/`` when empty."""
    path = _percent(raw, _PATH_SAFE)
    trailing = path.endswith("/") or path.rsplit("/", 1)[-1] in (".", "..")
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    if not kept:
        return "/"
    return "/" + "/".join(kept) + ("/" if trailing else "")


def _query(raw: str) -> str:
    """The query's parameters without tracking ones or empty ones, sorted."""
    params = [_param(p) for p in raw.split("&") if p]
    kept = [p for p in params if not _tracking(p.partition("=")[0].lower())]
    return "&".join(sorted(kept))


def _param(param: str) -> str:
    key, equals, value = param.partition("=")
    return _percent(key, _PARAM_SAFE) + equals + _percent(value, _PARAM_SAFE)


def _tracking(key: str) -> bool:
    return key.startswith("utm_") or key in TRACKING_PARAMETERS


def _percent(text: str, safe: frozenset[str]) -> str:
    """``text`` with unreserved characters decoded, other escapes' hex uppercased, and
    characters outside ``safe`` (spaces, non-ASCII, a lone ``%``) escaped as UTF-8."""
    out: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "%" and text[i + 1 : i + 2] in _HEX and text[i + 2 : i + 3] in _HEX:
            code = text[i + 1 : i + 3].upper()
            decoded = chr(int(code, 16))
            out.append(decoded if decoded in _UNRESERVED else f"%{code}")
            i += 3
            continue
        if char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        i += 1
    return "".join(out)
