"""Database layer: models, engine and transactions, queries, migrations."""

from sqlalchemy import event
from sqlalchemy.engine import Engine

from db.types import strip_nul_characters

# On every engine, whoever creates it: importing any part of db/ registers it once.
if not event.contains(Engine, "before_cursor_execute", strip_nul_characters):
    event.listen(Engine, "before_cursor_execute", strip_nul_characters, retval=True)
