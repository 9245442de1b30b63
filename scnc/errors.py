"""Exception types shared by every stage.

Every error a user can cause by bad input derives from :class:`ScncError`; the CLI turns these
into a one-line message and exit code 2. Messages name the file, the field and what was expected.
"""

from __future__ import annotations

__all__ = ["ScncError", "CheckpointError", "DataError", "IRError", "ConfigError", "ToolError", "BuildError"]


def located(where: str, field: str | None, message: str) -> str:
    """``"<where>: field '<field>': <message>"`` (no field part when ``field`` is None): the one
    message format of errors that name a file (or node) and a field."""
    return f"{where}" + (f": field '{field}'" if field else "") + f": {message}"


class ScncError(Exception):
    """Base class of every error caused by bad input or environment (CLI exit code 2)."""


class ConfigError(ScncError, ValueError):
    """An option or configuration value is out of range or inconsistent."""


class DataError(ScncError):
    """A data set file is missing or malformed."""


class _FileFieldError(ScncError):
    """An error found in a file, at a field: ``path``, ``field`` and the message (:func:`located`)."""

    def __init__(self, path: object, field: str | None, message: str) -> None:
        self.path = str(path)
        self.field = field
        super().__init__(located(self.path, field, message))


class CheckpointError(_FileFieldError):
    """A checkpoint file is missing, malformed, inconsistent or tampered with.

    Parameters
    ----------
    path:
        The file the problem was found in.
    field:
        The field (array or JSON key) that is wrong, or ``None`` for whole-file problems.
    message:
        What is wrong and what was expected.
    """


class IRError(ScncError):
    """An IR graph or IR file is malformed or inconsistent (names file/node/field like CheckpointError)."""

    def __init__(self, where: object, field: str | None, message: str) -> None:
        self.where = str(where)
        self.field = field
        super().__init__(located(self.where, field, message))


class ToolError(ScncError):
    """An external tool (Verilator, Icarus, yosys, nextpnr) is missing, too old, or failed."""


class BuildError(_FileFieldError, ConfigError):
    """A build folder (written by ``scnc compile``) is missing, malformed, inconsistent or tampered with.

    A :class:`ConfigError` (so callers that caught a bad build folder as one keep working).

    Parameters
    ----------
    path:
        The file or folder the problem was found in (``manifest.json``, ``<top>.v``, ``ir/ir.npz``...).
    field:
        The manifest field that is wrong, dotted (``streams.o_data.payload.width``), or ``None`` for
        whole-file problems.
    message:
        What is wrong and what was expected.
    """
