"""revframe: run a B2B company's revenue-operations framework as software.

The public surface is small: a ``Workspace`` (the spec and the store), the store opener, ingest,
and the framework loader. Everything else is internal and may change.
"""

from revframe.errors import RevframeError, UsageError
from revframe.workspace import Workspace

__version__ = "0.1.0"

__all__ = ["RevframeError", "UsageError", "Workspace", "__version__"]
