"""The one small error hierarchy. `report.main` prints a ReportError as one line and exits non-zero."""


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


class TrainingDiverged(ReportError):
    """Training produced NaN/inf; callers catch it and report divergence as a result."""
