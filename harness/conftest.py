"""Shared pytest fixtures: paths to the built binaries, and targets started on free loopback ports."""
import os
import secrets
import socket
import subprocess
import time
import urllib.request

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")
SERVER = os.path.join(BUILD, "reference-server")
RUNNER = os.path.join(BUILD, "conformance")
FIXTURES = os.path.join(ROOT, "fixtures")
PYTHON = "/usr/bin/python3"
FASTAPI_SERVE = os.path.join(ROOT, "harness", "ports", "fastapi", "serve.py")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(base, timeout=15.0, proc=None):
    """Polls GET base/health until it answers 200; raises with the reason otherwise."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"target exited with {proc.returncode} before answering /health")
        try:
            with urllib.request.urlopen(base + "/health", timeout=1) as r:
                if r.status == 200:
                    return
        except Exception as e:  # not up yet
            last = e
        time.sleep(0.05)
    raise RuntimeError(f"target at {base} did not answer /health within {timeout}s: {last}")


class Target:
    """A running AFI target: base URL, secret, process; stop() ends it."""

    def __init__(self, argv, env_extra=None, base_path="/afi"):
        self.secret = secrets.token_hex(24)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}{base_path}"
        env = dict(os.environ, AFI_SECRET=self.secret, **(env_extra or {}))
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        try:
            wait_health(self.base, proc=self.proc)
        except Exception:
            self.stop()
            raise

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def reference_argv():
    return [SERVER, "--port", "{port}"]


def fastapi_argv():
    return [PYTHON, FASTAPI_SERVE, "--port", "{port}"]


def run_conformance(*args, secret=None, timeout=300):
    """Runs build/conformance with args; returns the CompletedProcess (text mode)."""
    env = dict(os.environ)
    if secret is not None:
        env["AFI_SECRET"] = secret
    return subprocess.run([RUNNER, *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(scope="session")
def reference():
    """The reference server, started once for the session."""
    t = Target(reference_argv())
    yield t
    t.stop()


@pytest.fixture(scope="session")
def fastapi_port():
    """The FastAPI port, started once for the session."""
    t = Target(fastapi_argv())
    yield t
    t.stop()
