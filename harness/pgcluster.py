"""A throwaway PostgreSQL cluster for the tests that need one (test_cluster, test_port_pg,
test_store_pg): scripts/pg-cluster.sh makes it (initdb into a temporary directory as the
postgres user, pg_ctl), so no system service is touched and nothing is mocked."""
import os
import shutil
import subprocess
import tempfile
import uuid

PG_CLUSTER = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "scripts", "pg-cluster.sh")


class PgCluster:
    """Started when made; url is its postgres database. stop() and start() it to test
    outages, database() for a fresh database, pids() for its processes, remove() when done."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="afi-pg-", dir="/tmp")  # short: a socket path
        try:
            self.url = self._script("start")
        except BaseException:
            shutil.rmtree(self.dir, ignore_errors=True)
            raise

    def _script(self, command):
        cp = subprocess.run([PG_CLUSTER, command, self.dir], capture_output=True, text=True,
                            timeout=120)
        if cp.returncode:
            raise RuntimeError(f"scripts/pg-cluster.sh {command} {self.dir} failed: {cp.stderr.strip()}")
        return cp.stdout.strip()

    def start(self):
        self._script("start")

    def stop(self):
        self._script("stop")

    def database(self):
        """The URL of a new, empty database of the cluster."""
        import psycopg2
        name = "t_" + uuid.uuid4().hex[:12]
        conn = psycopg2.connect(self.url)
        try:
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute(f"CREATE DATABASE {name}")
        finally:
            conn.close()
        return self.url.replace(":///postgres?", f":///{name}?")

    def pids(self):
        """The postmaster and every process it started."""
        with open(os.path.join(self.dir, "data", "postmaster.pid")) as f:
            master = int(f.readline())
        pids = [master]
        for p in os.listdir("/proc"):
            if p.isdigit():
                try:
                    with open(f"/proc/{p}/stat") as f:
                        stat = f.read()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(p))
        return pids

    def remove(self):
        """Stops the cluster (if it runs) and deletes its directory."""
        subprocess.run([PG_CLUSTER, "stop", self.dir], capture_output=True, timeout=120)
        shutil.rmtree(self.dir, ignore_errors=True)
