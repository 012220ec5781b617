"""Which database errors pass: the update (or send) that met one is run again.

A lost connection, a restart, a full pool, a deadlock or a serialization failure says
nothing about the update; running it again succeeds once the database answers. Any
other error (a constraint a bug broke, bad SQL) would fail the same way every time.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import InterfaceError as SQLInterfaceError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# PostgreSQL's "try the transaction again": a deadlock (40P01), a serialization failure
# (40001). Two transactions met on the same rows; the one chosen to give way succeeds
# when run again.
_TRY_AGAIN = frozenset({"40P01", "40001"})


def passes(error: BaseException | None) -> bool:
    """Whether this error is the database's passing trouble rather than the update's."""
    if isinstance(error, OperationalError | SQLInterfaceError | PoolTimeout | OSError):
        return True
    if not isinstance(error, DBAPIError):
        return False
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return error.connection_invalidated or state in _TRY_AGAIN
