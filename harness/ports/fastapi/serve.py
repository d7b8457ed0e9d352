#!/usr/bin/python3
"""Starts the AFI FastAPI port: serve.py --port N [--bind 127.0.0.1] [--workers N] [--fast]
[--store URL].

Needs AFI_SECRET (>= 32 bytes) in the environment; exits 2 with a message otherwise, and
so it does for an AFI_PUBLIC_KEY_FILE it cannot use, or AFI_JWKS_URL with it, or JWKS settings
it refuses. With AFI_JWKS_URL each worker fetches the set for the first token that needs it.
Prints "listening on http://HOST:PORT/afi" (--port 0 picks a free port) once the server
answers; with --workers N > 1, once the socket is bound and the workers are starting.
--store (default: AFI_STORE, else "memory") is "memory" or a postgres:// URL. On
PostgreSQL every worker, and every other process on that database, shares data, counters
and revocations; the schema is created before the socket is bound, and a database that
cannot be reached then is exit 1, a URL that cannot work exit 2. In memory each of
--workers N > 1 processes has its own data, which the suite's state cases notice.
"""
import argparse
import os
import socket
import sys

import uvicorn
from uvicorn.supervisors import Multiprocess

from afi_fastapi import store


class AnnouncingServer(uvicorn.Server):
    """Prints its "listening on" line once startup is done: the app is imported and the
    socket is served (importing FastAPI takes seconds on a busy machine)."""

    def __init__(self, config, line):
        super().__init__(config)
        self.line = line

    async def startup(self, sockets=None):
        await super().startup(sockets=sockets)
        if not self.should_exit:
            print(self.line, flush=True)


def parse_args(argv):
    p = argparse.ArgumentParser(prog="serve.py", description="AFI v1 target on FastAPI/uvicorn")
    p.add_argument("--port", type=int, required=True, help="TCP port (0: any free port)")
    p.add_argument("--bind", default="127.0.0.1", help="address to listen on")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (share state only with --store postgres://...)")
    p.add_argument("--fast", action="store_true",
                   help="uvloop + httptools and 2 workers unless --workers says otherwise")
    p.add_argument("--store", default=os.environ.get("AFI_STORE") or store.MEMORY,
                   help='"memory" (default; AFI_STORE) or postgres://... shared by all workers')
    return p.parse_args(argv)


def check_environment() -> str:
    """Section 1: refuse to start without a secret of at least 32 bytes; None when fine."""
    secret = os.environ.get("AFI_SECRET")
    if secret is None:
        return "AFI_SECRET is not set; it must hold the shared secret (at least 32 bytes)"
    if len(secret.encode("utf-8")) < 32:
        return f"AFI_SECRET is {len(secret.encode('utf-8'))} bytes; it must be at least 32"
    from afi_fastapi import auth
    return auth.key_problem()  # FULL-1: an unsupported key configuration stops the port


def prepare_store(url: str):
    """(exit status, message) when the store cannot serve; (0, None) when it can. A
    database gets its schema here, once, before any worker starts."""
    if url == store.MEMORY:
        return 0, None
    if not store.is_pg_url(url):
        return 2, f"--store must be {store.MEMORY!r} or a postgres:// URL, not {url!r}"
    from afi_fastapi import store_pg
    try:
        store_pg.prepare(url)
    except store.StoreConfigError as exc:
        return 2, f"the store cannot work: {exc}"
    except store.Unavailable as exc:
        return 1, str(exc)
    return 0, None


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    problem = check_environment()
    if problem:
        print(f"serve.py: {problem}", file=sys.stderr)
        return 2
    workers = args.workers or (2 if args.fast else 1)
    status, problem = prepare_store(args.store)
    if problem:
        print(f"serve.py: {problem}", file=sys.stderr)
        return status
    if workers > 1 and args.store == store.MEMORY:
        print(f"serve.py: {workers} workers on the memory store: each has its own data, "
              "counters and revocations (share them with --store postgres://...)",
              file=sys.stderr, flush=True)
    os.environ["AFI_STORE"] = args.store  # the workers' router opens the same store

    from afi_fastapi.transport import AfiH11Protocol, AfiHttpToolsProtocol

    family = socket.AF_INET6 if ":" in args.bind else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.bind, args.port))
    except OSError as exc:
        print(f"serve.py: cannot listen on {args.bind}:{args.port}: {exc}", file=sys.stderr)
        return 1
    sock.listen(1024)
    sock.set_inheritable(True)
    host, port = sock.getsockname()[:2]

    config = uvicorn.Config(
        "afi_fastapi.router:app", workers=workers,
        loop="uvloop" if args.fast else "asyncio",
        http=AfiHttpToolsProtocol if args.fast else AfiH11Protocol,
        lifespan="off", access_log=False, log_level="error", server_header=False,
    )
    shown = f"[{host}]" if family == socket.AF_INET6 else host
    announce = f"listening on http://{shown}:{port}/afi"
    if workers > 1:
        # The workers import the app themselves; /health answers once one is up.
        print(announce, flush=True)
        Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()
    else:
        AnnouncingServer(config, announce).run(sockets=[sock])
    return 0


if __name__ == "__main__":
    sys.exit(main())
