#!/usr/bin/python3
"""Starts the FastAPI port with one fault patched in: AFI_FAULT=<name> port_fault_serve.py [serve.py options].

The options are serve.py's (--port N, --bind, --workers N, --fast, --store URL; a deployment
fault needs its PostgreSQL in AFI_STORE, which the app reads when the fault imports it).
AFI_FAULT must name a fault of harness/mutants/port_faults.py, of either table; otherwise
this exits 2 and says why. Each process that applies the fault says so on stderr, with its
pid.
"""
import os
import sys

HARNESS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [HARNESS, os.path.join(HARNESS, "ports", "fastapi")]  # mutants; serve, afi_fastapi

from mutants.port_faults import apply, known  # noqa: E402

FAULT = os.environ.get("AFI_FAULT", "")

# At import rather than in main(): the workers of --workers N are spawned processes, and a
# spawned process imports its parent's main module (this file, as __mp_main__) before it
# loads the app, so every worker serves the patched port as well.
if known(FAULT):
    apply(FAULT)
    print(f"port_fault_serve.py: fault {FAULT} applied in process {os.getpid()}",
          file=sys.stderr, flush=True)


def main(argv) -> int:
    if not known(FAULT):
        print(f"port_fault_serve.py: AFI_FAULT={FAULT!r} is not a fault of "
              f"harness/mutants/port_faults.py", file=sys.stderr)
        return 2
    import serve
    return serve.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
