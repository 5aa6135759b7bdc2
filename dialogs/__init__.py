"""Multi-turn conversations (botbuilder-dialogs) that call domain services."""
