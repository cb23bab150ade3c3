"""Errors a user can cause.

Every error that a user's input can provoke is an :class:`InputError` (or a subclass) that says where the
problem is (file, row, column) and, in one sentence, what to fix. Interfaces print it without a stack trace.
"""

from __future__ import annotations


class AktuarError(Exception):
    """Base class of aktuar's own errors."""


class InputError(AktuarError, ValueError):
    """A user's input cannot be used.

    ``row`` is the 1-based line number in the file as a spreadsheet or editor shows it (the header is row 1),
    or ``None`` when the problem is not tied to one row.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        super().__init__(self.__str__())

    def where(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(str(self.file))
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column is not None:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def located(self, *, file: str | None = None) -> InputError:
        """The same error with the file filled in (used by readers that learn the file name late)."""
        return type(self)(self.message, file=file or self.file, row=self.row, column=self.column)


class MethodError(InputError):
    """A method cannot be applied to the data as configured (e.g. Bornhuetter-Ferguson without exposure)."""
