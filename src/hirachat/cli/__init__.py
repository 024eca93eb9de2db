"""The ``hira-chat`` command: a thin shell over the stage modules, one file per group of commands."""

from hirachat.cli import answer, data, model, ops, web  # noqa: F401  (each registers its commands)
from hirachat.cli.common import app, main

__all__ = ["app", "main"]
