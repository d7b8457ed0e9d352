"""Request framing in front of uvicorn's HTTP parsers (ROB-1, ENV-1): the rules of the
reference server's gate (reference/frame.c), for every request of a connection.

uvicorn hands a connection's bytes to h11 (default) or httptools (--fast); both repair or
accept some malformations that let two parsers disagree about where a request ends, or
that the protocol refuses (docs/porting.md section 13 lists them). A Framer sees the bytes
first: it passes on only heads it has checked and bodies whose framing it has followed,
so the parser behind it only ever sees well-formed requests, and it says why when a
request is malformed. It does no I/O; transport.py feeds it and acts on what it says.
"""
import re

MAX_HEAD = 32 * 1024  # the header section, request line and final empty line included
MAX_LINE = 16 * 1024  # the request line, its LF included
MAX_CHUNK_LINE = 4096  # a chunk-size line, extensions and CR included
MAX_CONTENT_LENGTH_DIGITS = 18

_TCHAR = rb"!#$%&'*+\-.^_`|~0-9A-Za-z"
_CTL = rb"\x00-\x08\x0a-\x1f\x7f"  # control characters other than HTAB
_HEAD_END = re.compile(rb"\n\r?\n")
_REQUEST_LINE = re.compile(rb"[%s]+ [\x21-\x7e\x80-\xff]+ HTTP/1\.([01])\r?\Z" % _TCHAR)
_NAME = re.compile(rb"[%s]*" % _TCHAR)
_CTL_IN = re.compile(rb"[%s]" % _CTL)
_DIGITS = re.compile(rb"[0-9]+\Z")
_SIZE_LINE = re.compile(rb"([0-9A-Fa-f]{1,15})(?:[ \t]*;[^%s]*)?\r\Z" % _CTL)
_TRAILER_LINE = re.compile(rb"[%s]+:[^%s]*\r\Z" % (_TCHAR, _CTL))
# What may begin such a line: a line that cannot become one is refused before it ends.
_SIZE_START = re.compile(rb"(?:[0-9A-Fa-f]{1,15}(?:[ \t]*(?:;[^%s]*)?)?\r?)?\Z" % _CTL)
_TRAILER_START = re.compile(rb"(?:\r|[%s]+(?::[^%s]*)?\r?)?\Z" % (_TCHAR, _CTL))

(_HEAD, _LENGTH, _SIZE, _DATA, _DATA_CRLF, _TRAILER) = range(6)


class Malformed(Exception):
    """A head that frame.c would refuse; str() says why, for a person."""


class Head:
    """What the check of a well-formed head learns."""
    __slots__ = ("chunked", "length")

    def __init__(self, chunked: bool, length):
        self.chunked = chunked
        self.length = length  # the Content-Length, or None


def check_head(head: bytes) -> Head:
    """ROB-1: checks one complete head (request line to the empty line) as frame.c's
    frame_check_head does; raises Malformed."""
    lines = head.split(b"\n")
    m = _REQUEST_LINE.match(lines[0])
    if not m:
        raise Malformed(_request_line_problem(lines[0]))
    http11 = m.group(1) == b"1"
    host = te = 0
    length = None
    for line in lines[1:]:
        if line.endswith(b"\r"):
            line = line[:-1]
        if not line:
            break  # the empty line ends the head
        if line[0] in b" \t":
            raise Malformed("a header line is folded (obsolete line folding)")
        name_end = _NAME.match(line).end()
        if name_end == 0 or name_end == len(line) or line[name_end] != 0x3a:
            raise Malformed("a header line has no valid name followed by a colon")
        raw = line[name_end + 1:]
        if _CTL_IN.search(raw):
            raise Malformed("a header value contains a control character")
        value = raw.strip(b" \t")
        name = line[:name_end].lower()
        if name == b"host":
            host += 1
            if host > 1:
                raise Malformed("two Host headers")
        elif name == b"transfer-encoding":
            te += 1
            if te > 1:
                raise Malformed("two Transfer-Encoding headers")
            if value.lower() != b"chunked":
                raise Malformed("a Transfer-Encoding other than chunked")
        elif name == b"content-length":
            if length is not None:
                raise Malformed("two Content-Length headers")
            if not value or len(value) > MAX_CONTENT_LENGTH_DIGITS:
                raise Malformed("the Content-Length is not a number of at most 18 digits")
            if raw.rstrip(b" \t") != raw:
                raise Malformed("the Content-Length is followed by whitespace")
            if not _DIGITS.match(value):
                raise Malformed("the Content-Length is not a number")
            length = int(value)
    if te and length is not None:
        raise Malformed("both Content-Length and Transfer-Encoding are present")
    if te and not http11:
        raise Malformed("Transfer-Encoding in an HTTP/1.0 request")
    if http11 and not host:
        raise Malformed("an HTTP/1.1 request without a Host header")
    return Head(bool(te), length)


def _request_line_problem(line: bytes) -> str:
    method, sp, rest = line.partition(b" ")
    if not method or not sp or _NAME.match(method).end() != len(method):
        return "the request line has no valid method"
    target, sp, _ = rest.partition(b" ")
    if not target or not sp or re.search(rb"[\x00-\x20\x7f]", target):
        return "the request line has no valid target"
    return "the request line does not end in HTTP/1.0 or HTTP/1.1"


class Framer:
    """One connection's framing: feed() takes what the client sent and returns the part
    that may go to the parser. A head is held back until it is complete and checked, a
    chunk-size or trailer line until it is complete; body bytes pass as they come. After
    a malformation `why` says what, and nothing more passes."""

    def __init__(self):
        self.state = _HEAD
        self.pending = b""  # bytes of an incomplete head or chunk line, not passed yet
        self.scanned = 0  # of pending, searched for the head's end already
        self.left = 0  # body or chunk bytes still to come
        self.trailer = 0  # bytes of the trailer section so far
        self.completed = 0  # requests passed on in full
        self.why = None

    def idle(self) -> bool:
        """True when no request is partly received (between requests)."""
        return self.state == _HEAD and not self.pending

    def fail(self, why: str) -> None:
        """Marks the stream malformed (it ended or stalled inside a request, say)."""
        if self.why is None:
            self.why = why
        self.pending = b""

    def feed(self, data: bytes) -> bytes:
        if self.why is not None:
            return b""
        b = self.pending + data if self.pending else data
        self.pending = b""
        n = len(b)
        i = 0
        try:
            while i < n:
                if self.state == _HEAD:
                    end = self._head_end(b, i)
                    if end is None:
                        break
                    head = check_head(b[i:end])
                    i = end
                    if head.chunked:
                        self.state = _SIZE
                    elif head.length:
                        self.state, self.left = _LENGTH, head.length
                    else:
                        self.completed += 1
                elif self.state in (_LENGTH, _DATA):
                    take = min(self.left, n - i)
                    self.left -= take
                    i += take
                    if not self.left:
                        if self.state == _LENGTH:
                            self.state = _HEAD
                            self.completed += 1
                        else:
                            self.state = _DATA_CRLF
                elif self.state == _DATA_CRLF:
                    if b[i:i + 2] == b"\r\n":
                        self.state = _SIZE
                        i += 2
                    elif b[i:] == b"\r":
                        break
                    else:
                        raise Malformed("chunk data is not followed by CRLF")
                elif self.state == _SIZE:
                    j = b.find(b"\n", i, i + MAX_CHUNK_LINE + 1)
                    if j < 0:
                        if n - i > MAX_CHUNK_LINE:
                            raise Malformed("a chunk-size line is longer than 4 KiB")
                        if not _SIZE_START.match(b, i):
                            raise Malformed("a chunk-size line is malformed")
                        break
                    m = _SIZE_LINE.match(b, i, j)
                    if not m:
                        raise Malformed("a chunk-size line is malformed")
                    self.left = int(m.group(1), 16)
                    self.state = _DATA if self.left else _TRAILER
                    self.trailer = 0
                    i = j + 1
                else:  # _TRAILER: trailer lines, then the final empty line
                    j = b.find(b"\n", i, i + MAX_HEAD - self.trailer + 1)
                    if j < 0:
                        if self.trailer + n - i > MAX_HEAD:
                            raise Malformed("the trailer section is larger than 32 KiB")
                        if not _TRAILER_START.match(b, i):
                            raise Malformed("a trailer line is malformed")
                        break
                    if j == i + 1 and b[i] == 0x0d:
                        self.state = _HEAD
                        self.completed += 1
                    elif not _TRAILER_LINE.match(b, i, j):
                        raise Malformed("a trailer line is malformed")
                    self.trailer += j + 1 - i
                    i = j + 1
        except Malformed as exc:
            self.why = str(exc)
            return b[:i]
        if i < n:
            self.pending = b[i:]
            self.scanned = n - i
            return b[:i]
        return b

    def _head_end(self, b: bytes, i: int):
        """The end of the head starting at b[i], or None while it is incomplete; raises
        Malformed at the limits (frame.c looks at the request line's length first)."""
        start = max(0, self.scanned - 2) if i == 0 else i  # pending was searched before
        self.scanned = 0
        m = _HEAD_END.search(b, start, min(len(b), i + MAX_HEAD))
        have = (m.end() if m else len(b)) - i
        if have > MAX_LINE and b.find(b"\n", i, i + MAX_LINE) < 0:
            raise Malformed("the request line is longer than 16 KiB")
        if m:
            return m.end()
        if have > MAX_HEAD:
            raise Malformed("the header section is larger than 32 KiB")
        return None
