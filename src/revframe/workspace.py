"""A workspace: the framework spec (``revframe.yaml``) and the store it governs.

Examples:
    >>> import tempfile
    >>> from revframe import Workspace
    >>> ws = Workspace.init(tempfile.mkdtemp())
    >>> ws.spec.company.currency
    'USD'
    >>> ws.store.row_counts()["contacts"]
    0
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from revframe.errors import UsageError
from revframe.ingest import normalize as nz
from revframe.store import Store, open_store

if TYPE_CHECKING:
    from revframe.framework import Spec
    from revframe.ingest.load import IngestSummary, Progress

SPEC_FILE = "revframe.yaml"
STATE_DIR = ".revframe"


class Workspace:
    """Opens a workspace folder and exposes its spec, store and pillars."""

    def __init__(self, root: str | Path = ".", store_url: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.store_url = store_url or os.environ.get("REVFRAME_STORE") or self.default_store_url()

    # --- layout ------------------------------------------------------------------------------------
    @property
    def spec_path(self) -> Path:
        return self.root / SPEC_FILE

    def default_store_url(self) -> str:
        return f"duckdb://{self.root / STATE_DIR / 'store.duckdb'}"

    @classmethod
    def init(cls, root: str | Path, store_url: str | None = None, *, force: bool = False) -> Workspace:
        """Write a workspace with the default framework (the guides' B2B SaaS framework)."""
        from revframe.framework import default_spec_text

        ws = cls(root, store_url)
        if ws.spec_path.exists() and not force:
            raise UsageError(f"{ws.spec_path}: already exists; edit it, or pass --force to overwrite it")
        ws.root.mkdir(parents=True, exist_ok=True)
        (ws.root / "reports").mkdir(exist_ok=True)
        (ws.root / STATE_DIR).mkdir(exist_ok=True)
        ws.spec_path.write_text(default_spec_text(), encoding="utf-8")
        gi = ws.root / ".gitignore"
        if not gi.exists():
            gi.write_text(f"{STATE_DIR}/\n", encoding="utf-8")
        return ws

    # --- spec and store ----------------------------------------------------------------------------
    @cached_property
    def spec(self) -> Spec:
        """The framework spec; raises ``SpecError`` (exit 2) listing every problem."""
        from revframe.framework import load_spec

        self.require_spec_file()
        return load_spec(self.spec_path)

    def require_spec_file(self) -> None:
        """Raise ``UsageError`` (exit 2) unless this folder holds a ``revframe.yaml``."""
        if not self.spec_path.exists():
            raise UsageError(
                f"{self.spec_path}: no framework spec here; run `revframe init {self.root}` or pass --workspace DIR"
            )

    @cached_property
    def store(self) -> Store:
        """The store, migrated to this revframe's schema version."""
        store = open_store(self.store_url)
        store.migrate()
        return store

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
            del self.__dict__["store"]

    def context(self) -> nz.Context:
        """Normalization settings the spec owns: phone region, time zone, date order."""
        c = self.spec.company
        return nz.Context(
            default_region=c.default_phone_region,
            timezone=nz.zone(c.timezone),
            date_order=c.date_order,
        )

    def record_framework_version(self, store: Store) -> str:
        """Store the spec a run uses, once per version (call inside the run's transaction)."""
        version = self.spec.version
        if not store.query("SELECT 1 FROM framework_versions WHERE version = ?", [version]):
            store.insert_rows("framework_versions", [(version, datetime.now(UTC), json.dumps(self.spec.canonical()))])
        return version

    # --- data in ----------------------------------------------------------------------------------
    def ingest(
        self,
        paths: list[Path],
        mapping: str,
        *,
        object_name: str | None = None,
        delimiter: str | None = None,
        encoding: str | None = None,
        date_format: str | None = None,
        progress: Progress | None = None,
    ) -> IngestSummary:
        """Ingest export files (one transaction); see ``revframe.ingest.ingest``."""
        from revframe.ingest import ingest

        ctx = self.context()
        ctx.date_format = date_format
        return ingest(
            self.store,
            paths,
            mapping,
            object_name=object_name,
            ctx=ctx,
            delimiter=delimiter,
            encoding=encoding,
            framework_version=self.spec.version,
            progress=progress,
            in_transaction=self.record_framework_version,
        )

    # --- status -----------------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        """Row counts per table, the last ingests, and quarantine counts by reason."""
        self.require_spec_file()
        s = self.store
        counts = s.row_counts()
        runs = s.query(
            "SELECT run_id, started_at, mapping, rows_read, rows_loaded, rows_quarantined, status "
            "FROM ingest_runs ORDER BY started_at DESC LIMIT 10"
        )
        reasons = s.query(
            "SELECT object, split_part(reason, ':', 1) AS reason, count(*) AS n FROM quarantine "
            "GROUP BY 1, 2 ORDER BY n DESC, 1, 2"
        )
        return {
            "workspace": str(self.root),
            "store": self.store_url,
            "schema_version": s.schema_version(),
            "tables": [{"table": t, "rows": n} for t, n in counts.items()],
            "last_ingests": [
                {
                    "run_id": r[0],
                    "started_at": r[1].isoformat() if r[1] else None,
                    "mapping": r[2],
                    "rows_read": r[3],
                    "rows_loaded": r[4],
                    "rows_quarantined": r[5],
                    "status": r[6],
                }
                for r in runs
            ],
            "quarantine": [{"object": r[0], "reason": r[1], "rows": int(r[2])} for r in reasons],
        }
