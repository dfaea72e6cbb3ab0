"""Ingest: exports in, canonical rows out, bad rows to quarantine."""

from revframe.ingest.load import FileSummary, IngestSummary, ingest
from revframe.ingest.mapping import PRESETS, Mapping, load_mapping
from revframe.ingest.normalize import Context

__all__ = ["PRESETS", "Context", "FileSummary", "IngestSummary", "Mapping", "ingest", "load_mapping"]
