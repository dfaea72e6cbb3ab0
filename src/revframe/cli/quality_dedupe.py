"""`revframe quality dedupe`."""

from __future__ import annotations

from revframe.cli.quality import quality_app  # noqa: F401
