"""The child processes the harness starts: a free port for them, waiting until they
answer, ending them (used by conftest.py, mutants/runs.py and bench/bench.py)."""
import socket
import subprocess
import time
import urllib.request


def free_port():
    """A loopback port that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(base, timeout=15.0, proc=None):
    """Polls GET base/health until it answers 200; raises RuntimeError with the reason
    when proc exits first or timeout seconds pass (a bound socket is not yet an
    answering target: the FastAPI port imports late)."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"target exited with {proc.returncode} before answering /health")
        try:
            with urllib.request.urlopen(base + "/health", timeout=1) as r:
                if r.status == 200:
                    return
        except (OSError, ValueError) as e:  # not up yet
            last = e
        time.sleep(0.05)
    raise RuntimeError(f"target at {base} did not answer /health within {timeout:.0f}s: {last}")


def stop_child(proc, timeout=10):
    """Asks proc to end (SIGTERM) and kills it when it has not ended within timeout seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
