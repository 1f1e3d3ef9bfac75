"""The decision log (SQLAlchemy over SQLite or PostgreSQL, Alembic migrations): decisions, reviews, external
facts and API keys. See `log`."""

from engine.store.log import ROLES, Conflict, DecisionLog, LogFacts, NotFound, StoreError, database_url

__all__ = ["ROLES", "Conflict", "DecisionLog", "LogFacts", "NotFound", "StoreError", "database_url"]
