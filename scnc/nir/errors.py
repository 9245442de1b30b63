"""The one error type of NIR import and export."""

from __future__ import annotations

from ..errors import ScncError

__all__ = ["NIRError"]


class NIRError(ScncError):
    """A NIR file cannot be read, holds something scnc cannot represent, or cannot be written.

    A :class:`~scnc.errors.ScncError`, so the CLI exits with code 2. The message names the file,
    the node (its name in the flattened graph, ``outer.inner`` for nested subgraphs), the node's
    NIR kind, the field, and what scnc expected or supports.

    Parameters
    ----------
    path:
        The ``.nir`` file (or ``"<graph>"`` for an in-memory graph).
    node:
        The node's name, or ``None`` for whole-file problems.
    message:
        What is wrong and what was expected.
    kind:
        The node's NIR type name (``"Conv2d"``...), when known.
    field:
        The node's field (``"tau"``, ``"weight"``...), when one field is at fault.
    """

    def __init__(
        self, path: object, node: str | None, message: str, *, kind: str | None = None, field: str | None = None
    ) -> None:
        self.path = str(path)
        self.node = node
        self.kind = kind
        self.field = field
        where = self.path
        if node is not None:
            where += f": node '{node}'" + (f" ({kind})" if kind else "")
        if field is not None:
            where += f", field '{field}'"
        super().__init__(f"{where}: {message}")
