"""A SIGKILL in the middle of an ingest leaves the store exactly as it was, on every engine."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from revframe.ingest import ingest
from revframe.store import TABLES, open_store
from tests.conftest import ENGINES, drop, store_url, write

CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from revframe.store import open_store
    from revframe.ingest import ingest
    store = open_store(sys.argv[1])
    def progress(path, done, total):
        print("batch", done, flush=True)
        time.sleep(0.5)
    ingest(store, [Path(sys.argv[2])], "salesforce", batch_rows=2000, progress=progress)
    print("finished", flush=True)
    """
)


def _snapshot(url: str) -> dict[str, str]:
    store = open_store(url)
    try:
        return {t: store.checksum(t) for t in TABLES}
    finally:
        store.close()


@pytest.mark.parametrize("engine", ENGINES)
def test_sigkill_mid_ingest_leaves_the_store_unchanged(engine: str, tmp_path: Path) -> None:
    url = store_url(engine, tmp_path)
    store = open_store(url)
    store.migrate()
    ingest(store, [write(tmp_path / "first" / "Lead.csv", "Id,LastName,Company\n00Q0,Zero,Acme\n")], "salesforce")
    store.close()
    before = _snapshot(url)
    rows = "\n".join(f"00Q{i},Name{i},Company{i % 97},p{i}@c{i % 97}.com" for i in range(1, 20_001))
    big = write(tmp_path / "Lead.csv", "Id,LastName,Company,Email\n" + rows + "\n")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(big)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert child.stdout is not None
    batches = 0
    for line in child.stdout:
        if line.startswith("batch"):
            batches += 1
            if batches == 3:
                os.kill(child.pid, signal.SIGKILL)
                break
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL, "the child finished before it could be killed mid-ingest"
    assert _snapshot(url) == before
    store = open_store(url)
    try:
        assert store.row_counts()["contacts"] == 1
        # and the store still works: the same ingest now completes
        assert ingest(store, [big], "salesforce").loaded == 20_000
    finally:
        drop(store)
