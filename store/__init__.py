"""Persistence: SQLAlchemy 2 (async) over SQLite by default and PostgreSQL in production."""
