"""Glue for the JupyterLab notebooks in notebooks/: parameters, the tiny stand-in, tables, plots, the ask widget.

The notebooks are not the source of truth: every step calls the stage functions the CLI calls. This package
holds only what a notebook shows (tables, inline images, a widget) and how its parameters become a config.
"""
