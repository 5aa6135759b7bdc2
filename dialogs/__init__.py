"""Multi-turn conversations (botbuilder-dialogs): answering an information request. The
dialogs call domain services; their state lives in the database (dialogs/storage.py)."""
