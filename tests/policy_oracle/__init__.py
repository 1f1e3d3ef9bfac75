"""An independent plain-Python reading of POLICY.md (second edition) for differential tests of the shipped pack.

`decide(tx)` judges one transaction, given as the JSON-like dict of SPEC.md, and returns `(decision, fee_usd)`,
or `("invalid", 0.00)` for what the brief calls invalid input; `judge(tx)` also returns the rulings behind it.
The oracle reads only the pack's reference data (catalog, country groups, license register), never its rules.

- `reference.py`: the data files; `truth.py`: three-valued logic; `classification.py`: section 3;
  `register.py`: the license register of section 5; `policy.py`: sections 1, 2, 4, 4.1, 5, 6, 7 and the
  combining of section 8's outcomes.
- Denied-party screening (section 8) has no name matcher here: every party is unlisted unless the caller says
  otherwise (`listings`). The differential test checks that every generated party name is far from every
  listed name.
- Missing data (section 3) is three-valued: a rule that missing data leaves unsettled holds the export for
  review (section 2, fail closed), so an item whose classification is unsettled is never allowed; a deny that
  holds on other grounds still denies.
"""

from tests.policy_oracle.policy import (
    ALLOW,
    ATTESTATIONS,
    DENY,
    INVALID,
    REVIEW,
    ROUTE_ATTESTATIONS,
    SCREENED,
    ZERO,
    Judgement,
    Listing,
    Ruling,
    decide,
    judge,
)
from tests.policy_oracle.reference import PolicyData, normalise_name, policy_data

__all__ = [
    "ALLOW",
    "ATTESTATIONS",
    "DENY",
    "INVALID",
    "REVIEW",
    "ROUTE_ATTESTATIONS",
    "SCREENED",
    "ZERO",
    "Judgement",
    "Listing",
    "PolicyData",
    "Ruling",
    "decide",
    "judge",
    "normalise_name",
    "policy_data",
]
