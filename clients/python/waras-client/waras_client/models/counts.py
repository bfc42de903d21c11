from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Counts")


@_attrs_define
class Counts:
    """Each recipient in one bucket: where its message stands, or why it has none.

    Attributes:
        cancelled (int): Never sent: the campaign was cancelled.
        delivered (int):
        failed (int):
        queued (int): Not sent yet: waiting for its turn or in a session's outbox.
        read (int):
        sent (int):
        skipped (int): Not on WhatsApp (with `skip_unregistered`).
        total (int):
    """

    cancelled: int
    delivered: int
    failed: int
    queued: int
    read: int
    sent: int
    skipped: int
    total: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        cancelled = self.cancelled

        delivered = self.delivered

        failed = self.failed

        queued = self.queued

        read = self.read

        sent = self.sent

        skipped = self.skipped

        total = self.total

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "cancelled": cancelled,
                "delivered": delivered,
                "failed": failed,
                "queued": queued,
                "read": read,
                "sent": sent,
                "skipped": skipped,
                "total": total,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        cancelled = d.pop("cancelled")

        delivered = d.pop("delivered")

        failed = d.pop("failed")

        queued = d.pop("queued")

        read = d.pop("read")

        sent = d.pop("sent")

        skipped = d.pop("skipped")

        total = d.pop("total")

        counts = cls(
            cancelled=cancelled,
            delivered=delivered,
            failed=failed,
            queued=queued,
            read=read,
            sent=sent,
            skipped=skipped,
            total=total,
        )

        counts.additional_properties = d
        return counts

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
