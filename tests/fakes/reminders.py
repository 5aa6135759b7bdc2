"""Fakes for the reminder dispatcher: a recording notifier and in-memory request/checklist state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from inspection.notifier import Delivery, DeliveryStatus, OutgoingMessage
from inspection.reminders import RequestSnapshot


@dataclass
class FakeNotifier:
    """Records every message; `fail_next` makes the next sends fail (as Teams would)."""

    sent: list[OutgoingMessage] = field(default_factory=list)
    attempts: list[OutgoingMessage] = field(default_factory=list)
    fail_next: int = 0
    fail_status: DeliveryStatus = DeliveryStatus.FAILED

    async def send(self, message: OutgoingMessage) -> Delivery:
        self.attempts.append(message)
        if self.fail_next:
            self.fail_next -= 1
            return Delivery(self.fail_status, detail="Teams answered 502 after 4 attempts")
        self.sent.append(message)
        return Delivery(DeliveryStatus.SENT, activity_id=f"activity-{len(self.sent)}")


@dataclass
class FakeRequestSource:
    by_inspection: dict[int, list[RequestSnapshot]] = field(default_factory=dict)

    async def snapshot(self, inspection_id: int) -> Sequence[RequestSnapshot]:
        return list(self.by_inspection.get(inspection_id, []))


@dataclass
class FakeChecklistSource:
    missing_by_inspection: dict[int, list[str]] = field(default_factory=dict)

    async def missing(self, inspection_id: int) -> Sequence[str]:
        return list(self.missing_by_inspection.get(inspection_id, []))
