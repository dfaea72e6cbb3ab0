"""`revframe quality match`."""

from __future__ import annotations

from revframe.cli.quality import quality_app  # noqa: F401
