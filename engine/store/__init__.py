"""The decision log (SQLAlchemy over SQLite or PostgreSQL, Alembic migrations): decisions, reviews, external
facts and API keys. See `log`."""

from engine.store.database import database_url
from engine.store.errors import Conflict, NotFound, StoreError
from engine.store.facts import LogFacts
from engine.store.keys import ROLES, UNKNOWN
from engine.store.log import DecisionLog

__all__ = ["ROLES", "UNKNOWN", "Conflict", "DecisionLog", "LogFacts", "NotFound", "StoreError", "database_url"]
