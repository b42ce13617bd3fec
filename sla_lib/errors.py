"""Exception types. Each one carries what the user must fix, so the CLI can print one
clear line instead of a traceback."""

from __future__ import annotations


def _rebuild(cls, args, state):
    """Unpickle an SlaError without calling its ``__init__`` (whose arguments differ per type)."""
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class SlaError(Exception):
    """Base of every error the suite raises on purpose.

    Every subclass pickles as itself (``__reduce__`` below): an error raised in a worker
    process (a report notebook's worker) comes back to the parent as the same type with the
    same attributes and message. Without it, a subclass whose ``__init__`` takes other arguments
    than its message fails to unpickle and the pool reports ``BrokenProcessPool``."""

    def __reduce__(self):
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class TermsError(SlaError):
    """The terms file is broken: names the file and the dotted key."""

    def __init__(self, path, key: str, message: str):
        self.path = str(path)
        self.key = key
        self.message = message
        super().__init__(f"{self.path}: {key}: {message}")


class TermsErrors(SlaError):
    """Several problems in one terms file, all reported at once."""

    def __init__(self, errors: list[TermsError]):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


class TableError(SlaError):
    """An input table cannot be used: names the file, the row as the user sees it in the
    file (the header is row 1) and the column. ``row`` is None for whole-file problems."""

    def __init__(self, path, message: str, row: int | None = None, column: str | None = None):
        self.path = str(path)
        self.row = row
        self.column = column
        self.message = message
        where = self.path
        if row is not None:
            where += f", row {row}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {message}")


class TableErrors(SlaError):
    """Several table problems found in one load, all reported at once."""

    def __init__(self, errors: list[TableError]):
        self.errors = errors
        head = f"{len(errors)} problem(s) in the input tables:\n"
        shown = errors[:50]
        more = "" if len(errors) <= 50 else f"\n... and {len(errors) - 50} more"
        super().__init__(head + "\n".join(str(e) for e in shown) + more)


def raise_all(errors: list[TableError]) -> None:
    """Raise the table problems found: the TableError itself when there is one, else
    TableErrors listing them all (nothing when the list is empty)."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise TableErrors(errors)


class CalendarCoverageError(SlaError):
    """A date falls in a year that neither chinese-calendar nor the terms file's
    ``calendar_overrides`` covers."""

    def __init__(self, year: int, supported: str = ""):
        self.year = year
        msg = (
            f"the PRC holiday calendar does not cover year {year}{supported}; add that year's "
            f"statutory holidays and adjusted working days to calendar_overrides.holidays / "
            f"calendar_overrides.workdays in the terms file, or upgrade chinese-calendar"
        )
        super().__init__(msg)


class ReportError(SlaError):
    """A notebook failed while a report was produced."""

    def __init__(self, notebook: str, cell: int | None, message: str, executed_path=None):
        self.notebook = notebook
        self.cell = cell
        self.executed_path = str(executed_path) if executed_path else None
        where = notebook if cell is None else f"{notebook}, cell {cell}"
        tail = f" (executed notebook kept at {self.executed_path})" if executed_path else ""
        super().__init__(f"{where}: {message}{tail}")
