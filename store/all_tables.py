"""Imports every module that defines tables, so the metadata is complete.

Add a line here when a new `store/*` module declares tables.
"""

import store.bot_state_tables
import store.checklist
import store.checklist_cards
import store.conversations
import store.files
import store.outbox
import store.reminder_schedule
import store.request_log
import store.tables  # noqa: F401
