"""The project's error types: each names the file, row or field at fault so a user can act on it."""


class HiraChatError(Exception):
    """Base class for errors shown to users without a traceback."""


class ConfigError(HiraChatError):
    """A config file or override that does not validate."""


class InputFileError(HiraChatError):
    """A data file that cannot be read at all (missing, unknown encoding, not a table)."""


class StoreError(HiraChatError):
    """The facts store is missing, locked or inconsistent."""
