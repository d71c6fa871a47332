"""The one small error hierarchy. A command line prints a ReportError as one line and exits with its exit_code."""


class ReportError(Exception):
    """An error the user can fix; printed as one line (what, where, how to fix)."""

    exit_code = 1


class DataError(ReportError):
    """Missing or malformed input data."""

    exit_code = 2


class ConfigError(ReportError):
    """A bad flag, section id or config value."""

    exit_code = 2


class BuildError(ReportError):
    """The writeup could not be rendered (template, math, figure reference)."""

    exit_code = 1
