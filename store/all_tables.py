"""Imports every module that defines tables, so the metadata is complete.

Add a line here when a new `store/*` module declares tables.
"""

import store.tables  # noqa: F401
import store.conversations  # noqa: F401
import store.files  # noqa: F401
import store.requests  # noqa: F401
import store.outbox  # noqa: F401
import store.checklist  # noqa: F401
import store.checklist_cards  # noqa: F401
