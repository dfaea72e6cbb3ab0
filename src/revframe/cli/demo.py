from revframe.cli import app  # noqa: F401
