"""The public surface is explicit: what __all__ lists, and nothing else is promised."""

from __future__ import annotations

import re
from pathlib import Path

import revframe
import revframe.framework
import revframe.ingest
import revframe.store

ROOT = Path(__file__).resolve().parents[1]


def test_top_level_all_is_the_public_surface() -> None:
    assert revframe.__all__ == sorted(revframe.__all__)
    assert set(revframe.__all__) == {"RevframeError", "UsageError", "Workspace", "__version__"}
    for name in revframe.__all__:
        assert getattr(revframe, name) is not None


def test_package_all_names_exist() -> None:
    for module in (revframe.framework, revframe.ingest, revframe.store):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_readme_and_docs_links_resolve() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    for page in pages:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
