"""uvicorn protocol classes with the two fixes AFI needs at the HTTP layer.

1. uvicorn answers malformed HTTP with a text/plain 400; AFI wants the envelope
   (ENV-1, ROB-1: bad_request).
2. With --workers, uvicorn 0.17 binds the listening socket itself with proto 0,
   so asyncio's _set_nodelay skips accepted sockets and Nagle delays keep-alive
   answers by ~40 ms; TCP_NODELAY is set again on every connection.
"""
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_BAD_REQUEST = (b'{"error":{"code":"bad_request","message":"malformed HTTP request",'
                b'"details":null}}')
_BAD_REQUEST_RESPONSE = (b"HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n"
                         b"content-length: " + str(len(_BAD_REQUEST)).encode() +
                         b"\r\nconnection: close\r\n\r\n" + _BAD_REQUEST)


def _nodelay(transport) -> None:
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass


class _AfiFixes:
    """Both fixes, mixed in before either of uvicorn's protocol classes."""

    def connection_made(self, transport):
        super().connection_made(transport)
        _nodelay(transport)

    def send_400_response(self, msg: str):
        self.transport.write(_BAD_REQUEST_RESPONSE)
        self.transport.close()


class AfiH11Protocol(_AfiFixes, H11Protocol):
    pass


class AfiHttpToolsProtocol(_AfiFixes, HttpToolsProtocol):
    pass
