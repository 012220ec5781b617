"""Database layer: models, engine and transactions, queries, migrations."""
