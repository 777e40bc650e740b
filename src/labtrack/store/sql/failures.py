"""What a failed write means: the store is away (retry later), or the rows are bad (never).

The metric writer treats the two differently: while the store cannot be reached its points
wait (in memory, then in the spool) and are written later; a row the store refuses for
what it is (a constraint, an overflow, a wrong type) is set aside and reported, so that it
never holds the rest of its batch hostage. Both DB-API errors wrapped by SQLAlchemy and the
drivers' own (raised through their raw cursors) are recognised, by their DB-API class.
"""

from __future__ import annotations

# DB-API error classes (PEP 249) by name: sqlite3's, psycopg's and SQLAlchemy's wrappers
# share them, so one name test covers every driver without importing any.
_ROW_ERRORS = {"IntegrityError", "DataError"}
_AWAY_ERRORS = {"OperationalError", "InterfaceError", "DisconnectionError"}
# OperationalErrors that name a mistake in the database or the statement, not a passing state.
_MISTAKES = ("no such table", "no such column", "has no column named", "syntax error")


def _dbapi_names(error: BaseException) -> set[str]:
    return {cls.__name__ for cls in type(error).__mro__}


def is_row_error(error: BaseException) -> bool:
    """The store refused these rows for what they are: retrying the same rows cannot help."""
    if (
        isinstance(error, (OverflowError, TypeError, ValueError))
        and not _dbapi_names(error) & _AWAY_ERRORS
    ):
        return True  # the driver could not bind a value (an int beyond 64 bits, an object)
    names = _dbapi_names(error)
    if names & _ROW_ERRORS:
        return True
    # sqlite3 reports an unbindable parameter as ProgrammingError ("Error binding parameter").
    return "ProgrammingError" in names and "binding" in str(error).lower()


def is_store_away(error: BaseException) -> bool:
    """The store could not be reached or could not take a write just now (a server down or
    restarting, a dropped connection, a lock held too long, a full disk): the same rows
    may well go through later."""
    if isinstance(error, (ConnectionError, TimeoutError)):
        return True
    if getattr(error, "connection_invalidated", False):
        return True
    if any(words in str(error).lower() for words in _MISTAKES):
        return False  # the same statement fails the same way later: not worth a spool
    return bool(_dbapi_names(error) & _AWAY_ERRORS)


def describe(error: BaseException) -> str:
    """One line naming the real cause, without SQLAlchemy's SQL echo and background links."""
    original = getattr(error, "orig", None) or error
    text = (
        str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__
    )
    if "FOREIGN KEY constraint failed" in text or "violates foreign key constraint" in text:
        return "its run no longer exists in the store (deleted by another process?)"
    if isinstance(original, OverflowError) or "out of range" in text.lower():
        return f"a number is out of the store's range ({text})"
    return f"{type(original).__name__}: {text}"
