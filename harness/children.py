"""Ending the child processes the harness starts (used by conftest.py and mutants/runs.py)."""
import subprocess


def stop_child(proc, timeout=10):
    """Asks proc to end (SIGTERM) and kills it when it has not ended within timeout seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
