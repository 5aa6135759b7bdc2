"""The inspection record: who is in it, its dates, its channel."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum


class Role(StrEnum):
    LEAD_INSPECTOR = "lead_inspector"
    INSPECTOR = "inspector"
    LINK_OFFICER = "link_officer"
    DIRECTOR = "director"
    OBSERVER = "observer"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# The inspection team (6.1) and the inspected service (6.2).
INSPECTOR_ROLES = frozenset({Role.LEAD_INSPECTOR, Role.INSPECTOR})
PROVIDER_ROLES = frozenset({Role.LINK_OFFICER, Role.DIRECTOR})

# Events a person records as they happen; each replaces a planned milestone date.
ACTUAL_EVENTS = ("notice", "draft_sent", "comments_received", "published", "report_sent")


class InspectionStatus(StrEnum):
    PLANNED = "planned"  # stored, no channel yet
    ACTIVE = "active"  # channel set up, work in progress
    CLOSED = "closed"  # published; kept until the retention period ends


@dataclass(frozen=True)
class Person:
    """Someone the product deals with: their Entra object id, the name shown, an email."""

    aad_object_id: str
    display_name: str = ""
    email: str | None = None

    @property
    def name(self) -> str:
        return self.display_name or self.aad_object_id


@dataclass(frozen=True)
class Member:
    """A person with a role in one inspection, identified by their Entra (AAD) object id."""

    aad_object_id: str
    role: Role
    display_name: str = ""
    email: str | None = None


@dataclass(frozen=True)
class Channel:
    """Where the inspection lives in Teams: the channel and its Files folder."""

    team_id: str
    channel_id: str
    drive_id: str | None = None
    folder_id: str | None = None
    web_url: str | None = None
    membership_type: str = "private"


@dataclass(frozen=True)
class Inspection:
    framework: str
    inspection_type: str
    service_name: str
    onsite_start: date
    onsite_end: date
    members: tuple[Member, ...] = ()
    actuals: dict[str, date] = field(default_factory=dict)
    channel: Channel | None = None
    status: InspectionStatus = InspectionStatus.PLANNED
    id: int | None = None
    created_at: datetime | None = None
    version: int = 0

    @property
    def stored_id(self) -> int:
        """The id of an inspection that has been stored (ValueError before that)."""
        if self.id is None:
            raise ValueError("this inspection has not been stored yet")
        return self.id

    def role_of(self, aad_object_id: str | None) -> Role | None:
        """The strongest role this person holds in the inspection, if any."""
        if not aad_object_id:
            return None
        roles = [m.role for m in self.members if m.aad_object_id == aad_object_id]
        order = list(Role)
        return min(roles, key=order.index) if roles else None

    def members_with(self, role: Role) -> tuple[Member, ...]:
        return tuple(m for m in self.members if m.role == role)

    def first_with(self, role: Role) -> Member | None:
        found = self.members_with(role)
        return found[0] if found else None

    @property
    def lead_inspector(self) -> Member | None:
        return self.first_with(Role.LEAD_INSPECTOR)

    @property
    def link_officer(self) -> Member | None:
        return self.first_with(Role.LINK_OFFICER)

    @property
    def director(self) -> Member | None:
        return self.first_with(Role.DIRECTOR)

    @property
    def notice_date(self) -> date | None:
        return self.actuals.get("notice")

    def with_actual(self, event: str, when: date | None) -> Inspection:
        actuals = dict(self.actuals)
        if when is None:
            actuals.pop(event, None)
        else:
            actuals[event] = when
        return replace(self, actuals=actuals)
