"""Errors the domain raises. Each carries a message a person can act on."""

from __future__ import annotations


class InspectionError(Exception):
    """Base class: `str(error)` is safe and useful to show to the user."""


class ConfigurationError(InspectionError):
    """A settings value or a rule file is wrong; the message names what and where."""


class PlanningError(InspectionError):
    """Dates that cannot make a valid timeline (end before start, too many on-site days...)."""


class NotFound(InspectionError):
    """The thing asked for does not exist (or the caller may not know it exists)."""


class Forbidden(InspectionError):
    """The caller's role does not allow this; the message says who can."""


class Conflict(InspectionError):
    """Someone else changed the record first; the message says what to do."""


class Unavailable(InspectionError):
    """A system the bot depends on (database, Microsoft Graph) cannot be reached right now."""
