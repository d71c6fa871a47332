"""The library's one error: input data that is missing or malformed.

Its message is one line that names the file and says how to fix it; the report prints it as it is.
"""


class DataError(ValueError):
    """Missing or malformed input data (a file, a folder, a weights file)."""


class ConfigError(ValueError):
    """A setting the library cannot use, e.g. a torch device that does not exist here."""
