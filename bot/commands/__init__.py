"""Feature modules (moving to bot/features/)."""
