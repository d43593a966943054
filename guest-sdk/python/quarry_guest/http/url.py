"""`Url`: the ``http``/``https`` URLs a module requests, parsed like the Rust SDK parses them, and
the resolution of redirect ``Location``\\ s against them (RFC 3986, section 5.2)."""

from .._fmt import debug_char, debug_str

__all__ = ["Url", "encode_component", "InvalidUrl"]


class InvalidUrl(Exception):
    def __init__(self, url, reason):
        self.url = url
        self.reason = reason
        super().__init__(reason)


def _split_scheme(text):
    scheme, sep, rest = text.partition(":")
    if not sep or not scheme:
        return None
    if not (scheme[0].isascii() and scheme[0].isalpha()):
        return None
    if not all(c.isascii() and (c.isalnum() or c in "+-.") for c in scheme):
        return None
    return scheme, rest


def _hexdigit(c):
    return c in "0123456789abcdefABCDEF"


def _parse_authority(authority):
    if not authority:
        raise ValueError("it names no host")
    if "@" in authority:
        raise ValueError("user info (user:password@) is not supported; declare the credential as a "
                         "secret grant and the host attaches it")
    if authority.startswith("["):
        host, sep, after = authority[1:].partition("]")
        if not sep:
            raise ValueError("an IPv6 address is missing its closing ]")
        if not host or not all(_hexdigit(c) or c in ":." for c in host):
            raise ValueError("invalid IPv6 address [%s]" % host)
        if after == "":
            port = None
        elif after.startswith(":"):
            port = after[1:]
        else:
            raise ValueError("unexpected %s after the IPv6 address" % debug_str(after))
    else:
        host, sep, port = authority.partition(":")
        if not sep:
            port = None
        if not host:
            raise ValueError("it names no host")
        for c in host:
            if not (c.isascii() and (c.isalnum() or c in "-._")):
                raise ValueError("invalid character %s in host %s" % (debug_char(c), debug_str(host)))
    if port is None or port == "":
        number = None
    else:
        ok = port.isascii() and port.isdigit() and len(port) <= 5 and 0 < int(port) <= 65535
        if not ok:
            raise ValueError("invalid port %s" % debug_str(port))
        number = int(port)
    return host.lower(), number


def _escape_byte(b):
    return "%%%02X" % b


def _encode_target(target):
    out = []
    for b in target.encode("utf-8", "surrogatepass"):
        if 0x21 <= b <= 0x7E and chr(b) not in '"<>\\^`{|}':
            out.append(chr(b))
        else:
            out.append(_escape_byte(b))
    return "".join(out)


def encode_component(value):
    """Percent-encodes everything but RFC 3986's unreserved characters (``A-Z a-z 0-9 - . _ ~``).

    >>> encode_component("cpu load/1m&x=ü")
    'cpu%20load%2F1m%26x%3D%C3%BC'
    """
    out = []
    for b in str(value).encode("utf-8", "surrogatepass"):
        c = chr(b)
        if b < 0x80 and (c.isalnum() or c in "-._~"):
            out.append(c)
        else:
            out.append(_escape_byte(b))
    return "".join(out)


def _split_query(target):
    i = target.find("?")
    return (target, "") if i < 0 else (target[:i], target[i:])


def _remove_dot_segments(path):
    segments = path.split("/")[1:]
    out = []
    for i, segment in enumerate(segments):
        last = i + 1 == len(segments)
        if segment in (".", ".."):
            if segment == ".." and out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(segment)
    return "/" + "/".join(out)


class Url:
    """An absolute ``http``/``https`` URL: scheme, host, optional port, path and query.

    >>> url = Url.parse("HTTPS://Metrics.Example.com:8443/api?q=a b#top")
    >>> (url.scheme, url.host, url.port, url.path_and_query)
    ('https', 'metrics.example.com', 8443, '/api?q=a%20b')
    >>> str(url.join("../v2/health"))
    'https://metrics.example.com:8443/v2/health'
    """

    __slots__ = ("https", "host", "explicit_port", "path_and_query")

    def __init__(self, https, host, explicit_port, path_and_query):
        self.https = https
        self.host = host
        self.explicit_port = explicit_port
        self.path_and_query = path_and_query

    @classmethod
    def parse(cls, text):
        """Parses an absolute URL; raises :class:`InvalidUrl` saying what is wrong."""
        try:
            return cls._parse(text)
        except ValueError as exc:
            raise InvalidUrl(text, str(exc)) from None

    @classmethod
    def _parse(cls, text):
        text = text.strip()
        split = _split_scheme(text)
        if split is None:
            raise ValueError("it has no scheme (expected http:// or https://)")
        scheme, rest = split
        lower = scheme.lower()
        if lower not in ("http", "https"):
            raise ValueError("unsupported scheme %s (only http and https)" % debug_str(lower))
        if not rest.startswith("//"):
            raise ValueError("expected // after the scheme")
        rest = rest[2:]
        end = len(rest)
        for c in "/?#":
            i = rest.find(c)
            if 0 <= i < end:
                end = i
        authority, target = rest[:end], rest[end:]
        host, port = _parse_authority(authority)
        target = target.split("#", 1)[0]
        if not target.startswith("/"):
            target = "/" + target
        return cls(lower == "https", host, port, _encode_target(target))

    def join(self, reference):
        """Resolves ``reference`` (a redirect's ``Location``) against this URL."""
        original = reference
        reference = reference.strip().split("#", 1)[0]
        if _split_scheme(reference) is not None:
            return Url.parse(reference)
        if reference.startswith("//"):
            try:
                return Url._parse("%s:%s" % (self.scheme, reference))
            except ValueError as exc:
                raise InvalidUrl(original, str(exc)) from None
        path, query = _split_query(reference)
        base_path, _ = _split_query(self.path_and_query)
        if not reference:
            target = self.path_and_query
        elif not path:
            target = base_path + query
        elif path.startswith("/"):
            target = _remove_dot_segments(path) + query
        else:
            directory = base_path[: base_path.rfind("/") + 1]
            target = _remove_dot_segments(directory + path) + query
        return Url(self.https, self.host, self.explicit_port, _encode_target(target))

    @property
    def scheme(self):
        return "https" if self.https else "http"

    @property
    def port(self):
        """The port written, else 443 for https and 80 for http."""
        if self.explicit_port is not None:
            return self.explicit_port
        return 443 if self.https else 80

    def _bracketed(self):
        return "[%s]" % self.host if ":" in self.host else self.host

    @property
    def authority(self):
        """``host[:port]``: the port only if the URL names one."""
        if self.explicit_port is not None:
            return "%s:%d" % (self._bracketed(), self.explicit_port)
        return self._bracketed()

    @property
    def host_port(self):
        """``host:port``, always with the port, as error messages name a server."""
        return "%s:%d" % (self._bracketed(), self.port)

    def same_origin(self, other):
        return (self.https, self.host, self.port) == (other.https, other.host, other.port)

    def __str__(self):
        return "%s://%s%s" % (self.scheme, self.authority, self.path_and_query)

    def __repr__(self):
        return "Url(%r)" % str(self)

    def __eq__(self, other):
        return isinstance(other, Url) and str(self) == str(other)

    def __hash__(self):
        return hash(str(self))
