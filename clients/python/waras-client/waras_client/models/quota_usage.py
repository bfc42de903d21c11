from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="QuotaUsage")


@_attrs_define
class QuotaUsage:
    """What a tenant uses of each quota now.

    Attributes:
        media_bytes (int): Bytes of media stored for the tenant.
        messages_today (int): Messages sent today (UTC), whatever sent them.
        sessions (int):
        webhooks (int):
    """

    media_bytes: int
    messages_today: int
    sessions: int
    webhooks: int
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        media_bytes = self.media_bytes

        messages_today = self.messages_today

        sessions = self.sessions

        webhooks = self.webhooks

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "media_bytes": media_bytes,
                "messages_today": messages_today,
                "sessions": sessions,
                "webhooks": webhooks,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        media_bytes = d.pop("media_bytes")

        messages_today = d.pop("messages_today")

        sessions = d.pop("sessions")

        webhooks = d.pop("webhooks")

        quota_usage = cls(
            media_bytes=media_bytes,
            messages_today=messages_today,
            sessions=sessions,
            webhooks=webhooks,
        )

        quota_usage.additional_properties = d
        return quota_usage

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
