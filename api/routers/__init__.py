"""The API's routes, one module per resource: decisions, reviews, rulesets, batches, and operations."""
