"""The contract: what a transaction is (one field table, the pydantic model, the CSV mapping) and what a
decision is. The lowest layer: it imports nothing else of the engine but `engine.errors`."""

from engine.contract.decision import ConditionResult, Decision, Finding, money, money_text
from engine.contract.fast import parse_transaction
from engine.contract.fields import ALWAYS_GIVEN, BY_NAME, CSV_COLUMNS, FIELDS, Field
from engine.contract.rows import transaction_from_row
from engine.contract.schemas import decision_schema, transaction_schema
from engine.contract.transaction import Party, Specs, Transaction

__all__ = [
    "ALWAYS_GIVEN",
    "BY_NAME",
    "CSV_COLUMNS",
    "FIELDS",
    "ConditionResult",
    "Decision",
    "Field",
    "Finding",
    "Party",
    "Specs",
    "Transaction",
    "decision_schema",
    "money",
    "money_text",
    "parse_transaction",
    "transaction_from_row",
    "transaction_schema",
]
