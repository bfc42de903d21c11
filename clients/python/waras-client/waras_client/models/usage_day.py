from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.usage_day_messages_in_by_type import UsageDayMessagesInByType
    from ..models.usage_day_messages_out_by_type import UsageDayMessagesOutByType


T = TypeVar("T", bound="UsageDay")


@_attrs_define
class UsageDay:
    """One day of a tenant's usage.

    Attributes:
        day (str):
        media_bytes (int):
        messages_in (int):
        messages_in_by_type (UsageDayMessagesInByType): Messages in by type (`text`, `image`, …).
        messages_out (int):
        messages_out_by_type (UsageDayMessagesOutByType): Messages out by type.
        session_hours (float):
        webhook_deliveries (int):
    """

    day: str
    media_bytes: int
    messages_in: int
    messages_in_by_type: UsageDayMessagesInByType
    messages_out: int
    messages_out_by_type: UsageDayMessagesOutByType
    session_hours: float
    webhook_deliveries: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        day = self.day

        media_bytes = self.media_bytes

        messages_in = self.messages_in

        messages_in_by_type = self.messages_in_by_type.to_dict()

        messages_out = self.messages_out

        messages_out_by_type = self.messages_out_by_type.to_dict()

        session_hours = self.session_hours

        webhook_deliveries = self.webhook_deliveries

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "day": day,
                "media_bytes": media_bytes,
                "messages_in": messages_in,
                "messages_in_by_type": messages_in_by_type,
                "messages_out": messages_out,
                "messages_out_by_type": messages_out_by_type,
                "session_hours": session_hours,
                "webhook_deliveries": webhook_deliveries,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.usage_day_messages_in_by_type import UsageDayMessagesInByType  # noqa: PLC0415
        from ..models.usage_day_messages_out_by_type import UsageDayMessagesOutByType  # noqa: PLC0415

        d = dict(src_dict)
        day = d.pop("day")

        media_bytes = d.pop("media_bytes")

        messages_in = d.pop("messages_in")

        messages_in_by_type = UsageDayMessagesInByType.from_dict(d.pop("messages_in_by_type"))

        messages_out = d.pop("messages_out")

        messages_out_by_type = UsageDayMessagesOutByType.from_dict(d.pop("messages_out_by_type"))

        session_hours = d.pop("session_hours")

        webhook_deliveries = d.pop("webhook_deliveries")

        usage_day = cls(
            day=day,
            media_bytes=media_bytes,
            messages_in=messages_in,
            messages_in_by_type=messages_in_by_type,
            messages_out=messages_out,
            messages_out_by_type=messages_out_by_type,
            session_hours=session_hours,
            webhook_deliveries=webhook_deliveries,
        )

        usage_day.additional_properties = d
        return usage_day

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
