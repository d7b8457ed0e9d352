"""uvicorn protocol classes with the fixes AFI needs at the HTTP layer.

1. Framing (ROB-1, ENV-1): uvicorn's parsers accept malformed requests the protocol
   refuses (h11 serves Content-Length beside Transfer-Encoding, obsolete line folding and
   a 64 KiB head that arrives whole; httptools serves a folded line, a missing or second
   Host, a space before a colon and any head size; docs/porting.md section 13). A Framer
   (framing.py, reference/frame.c's rules) sees every byte first and passes on only
   well-formed requests. A malformed one is answered with the bad_request envelope after
   the answers to every earlier request, and the connection is closed.
2. A request that has started must keep arriving: no byte for STALL_SECONDS inside a head
   or a body is a malformation too (uvicorn's keep-alive timeout only covers idle
   connections, so a body shorter than announced waited forever).
3. uvicorn answers what its parser refuses with a text/plain 400; AFI wants the envelope.
4. With --workers, uvicorn 0.17 binds the listening socket itself with proto 0, so
   asyncio's _set_nodelay skips accepted sockets and Nagle delays keep-alive answers by
   ~40 ms; TCP_NODELAY is set again on every connection.
"""
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from afi_fastapi import envelope, framing

STALL_SECONDS = 10  # reference/gate.h GATE_STALL_SECONDS
LINGER_SECONDS = 2  # after the refusal, the client's remaining bytes are read and dropped


def refusal(why: str) -> bytes:
    """ENV-1: the whole answer to a malformed request, bad_request in the envelope."""
    body = envelope.dumps({"error": {"code": "bad_request",
                                     "message": f"Malformed HTTP request: {why}.",
                                     "details": None}})
    return (b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\nconnection: close\r\n\r\n" % len(body)) + body


def _nodelay(transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


class _AfiFixes:
    """The fixes, mixed in before either of uvicorn's protocol classes. Both count on
    the same parts of them (uvicorn 0.17.6): data_received, on_response_complete,
    self.cycle with response_started / response_complete / disconnected / message_event,
    and _unset_keepalive_if_required."""

    def connection_made(self, transport):
        super().connection_made(transport)
        _nodelay(transport)
        self.framer = framing.Framer()
        self.answered = 0  # final answers completed
        self.last_in = 0.0
        self.stall = None  # the timer of a request that has started
        self.lingering = False
        self.client_eof = False

    def data_received(self, data):
        if self.lingering:
            return
        self._unset_keepalive_if_required()  # a head held back is activity too
        self.last_in = self.loop.time()
        passed = self.framer.feed(data)
        if passed:
            super().data_received(passed)
        if self.framer.why is not None:
            self._refuse_when_due()
        elif self.stall is None and not self.framer.idle():
            self.stall = self.loop.call_later(STALL_SECONDS, self._stalled)

    def eof_received(self):
        """The client sent its last byte: a request cut short is malformed; the answers to
        the complete ones still go out (uvicorn alone closed at once and dropped them)."""
        self.client_eof = True
        if self.lingering:
            return None  # close: the refusal is written
        if self.framer.why is None and not self.framer.idle():
            self.framer.fail("the connection ended inside a request")
        if self.framer.why is not None:
            self._refuse_when_due()
            return True  # closed by _refuse_when_due, now or after the answers due
        if self.answered < self.framer.completed:
            return True  # closed by on_response_complete after the last answer
        return super().eof_received()

    def on_response_complete(self):
        self.answered += 1
        super().on_response_complete()
        if self.framer.why is not None:
            self._refuse_when_due()
        elif self.client_eof and self.answered >= self.framer.completed:
            self.transport.close()

    def _stalled(self):
        self.stall = None
        if self.lingering or self.transport.is_closing() or self.framer.why is not None \
                or self.framer.idle():
            return
        now = self.loop.time()
        if not self.transport.is_reading():
            self.last_in = now  # uvicorn holds the bytes back (flow control), not the client
        if now - self.last_in < STALL_SECONDS:
            self.stall = self.loop.call_later(self.last_in + STALL_SECONDS - now, self._stalled)
            return
        self.framer.fail(f"the request did not arrive within {STALL_SECONDS} s")
        self._refuse_when_due()

    def _refuse_when_due(self):
        """After the answer to every request passed on in full: the refusal (unless the
        malformed request has an answer already, an early 413 say) and a lingering close,
        so that the close does not reset the answer away."""
        if self.lingering or self.transport.is_closing() or self.answered < self.framer.completed:
            return
        cycle = self.cycle
        answering = cycle is not None and cycle.response_started and not cycle.response_complete
        if self.answered == self.framer.completed and not answering:
            self.transport.write(refusal(self.framer.why))
        if cycle is not None and not cycle.response_complete:
            cycle.disconnected = True  # the app's receive() sees a disconnect, its send() is dropped
            cycle.message_event.set()
        self.lingering = True
        if self.stall is not None:
            self.stall.cancel()
            self.stall = None
        if self.client_eof or not self.transport.can_write_eof():
            self.transport.close()
        else:
            self.transport.write_eof()
            self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def send_400_response(self, msg: str):
        self.transport.write(refusal("the request could not be parsed"))
        self.transport.close()


class AfiH11Protocol(_AfiFixes, H11Protocol):
    pass


class AfiHttpToolsProtocol(_AfiFixes, HttpToolsProtocol):
    pass
