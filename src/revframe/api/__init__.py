"""Server mode: the FastAPI app behind `revframe serve` (see :func:`revframe.api.app.create_app`)."""

from revframe.api.app import create_app, create_app_from_env

__all__ = ["create_app", "create_app_from_env"]
