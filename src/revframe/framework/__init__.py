"""The framework spec: models, loading with file:line:column errors, semantic checks, template, charter.

Typical use::

    from revframe.framework import load_spec, render_charter
    spec = load_spec(Path("revframe.yaml"))      # raises SpecError listing every problem
    print(spec.version)                          # content hash stored with every result row
    html = render_charter(spec, "html")
"""

from revframe.framework.charter import render_charter
from revframe.framework.loader import default_spec_text, load_spec, load_spec_text
from revframe.framework.models import Spec
from revframe.framework.problems import Problem, SpecError

__all__ = [
    "Problem",
    "Spec",
    "SpecError",
    "default_spec_text",
    "load_spec",
    "load_spec_text",
    "render_charter",
]
