"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every backend.

    PostgreSQL keeps `timestamptz`; SQLite has no time zones, so instants are stored as
    naive UTC text (which still sorts correctly) and made aware again when read.
    Naive datetimes are refused: an instant without a zone is a bug waiting for DST.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# -- text from Telegram ---------------------------------------------------------------
#
# A Telegram message can hold U+0000 (NUL), and PostgreSQL's text types refuse it: the
# statement fails and with it the patient's whole update. SQLite would store it. So
# every string bound to any statement loses its NULs just before it reaches the
# driver, on both backends alike (registered on every engine in db/__init__.py).
#
# Why one hook on the cursor rather than a TypeDecorator on each text column: it
# covers every statement and every column, present and future, whoever builds them
# (ORM flushes, Core bulk inserts such as the message log's, text(), and search
# patterns compared with func.lower(...), whose parameters carry no column type for a
# TypeDecorator to act on), with no change to the models; values that are not text
# are left alone. JSON values need nothing: they are serialised before this point,
# which writes a NUL as the escape \u0000, and `json` columns accept it (`jsonb` would
# not). What a handler holds in memory during its own update may still contain a NUL;
# what the database holds never does.

_NUL = "\x00"


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return _NUL in value
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    if isinstance(value, dict):
        return any(_has_nul(item) for item in value.values())
    return False


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace(_NUL, "")
    if isinstance(value, list):
        return [_without_nul(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_without_nul(item) for item in value)
    if isinstance(value, dict):
        return {key: _without_nul(item) for key, item in value.items()}
    return value


def strip_nul_characters(
    _connection: Any,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    _executemany: bool,
) -> tuple[str, Any]:
    """A `before_cursor_execute` listener: the parameters without NUL characters.

    Parameters without one (nearly all) are passed on as they are, not copied.
    """
    if _has_nul(parameters):
        parameters = _without_nul(parameters)
    return statement, parameters
