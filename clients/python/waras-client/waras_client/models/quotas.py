from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="Quotas")


@_attrs_define
class Quotas:
    """
    Attributes:
        media_bytes (int | None | Unset):
        messages_per_day (int | None | Unset):
        sessions (int | None | Unset):
        webhooks (int | None | Unset):
    """

    media_bytes: int | None | Unset = UNSET
    messages_per_day: int | None | Unset = UNSET
    sessions: int | None | Unset = UNSET
    webhooks: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        media_bytes: int | None | Unset
        if isinstance(self.media_bytes, Unset):
            media_bytes = UNSET
        else:
            media_bytes = self.media_bytes

        messages_per_day: int | None | Unset
        if isinstance(self.messages_per_day, Unset):
            messages_per_day = UNSET
        else:
            messages_per_day = self.messages_per_day

        sessions: int | None | Unset
        if isinstance(self.sessions, Unset):
            sessions = UNSET
        else:
            sessions = self.sessions

        webhooks: int | None | Unset
        if isinstance(self.webhooks, Unset):
            webhooks = UNSET
        else:
            webhooks = self.webhooks

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if media_bytes is not UNSET:
            field_dict["media_bytes"] = media_bytes
        if messages_per_day is not UNSET:
            field_dict["messages_per_day"] = messages_per_day
        if sessions is not UNSET:
            field_dict["sessions"] = sessions
        if webhooks is not UNSET:
            field_dict["webhooks"] = webhooks

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

        def _parse_media_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        media_bytes = _parse_media_bytes(d.pop("media_bytes", UNSET))

        def _parse_messages_per_day(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        messages_per_day = _parse_messages_per_day(d.pop("messages_per_day", UNSET))

        def _parse_sessions(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        sessions = _parse_sessions(d.pop("sessions", UNSET))

        def _parse_webhooks(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        webhooks = _parse_webhooks(d.pop("webhooks", UNSET))

        quotas = cls(
            media_bytes=media_bytes,
            messages_per_day=messages_per_day,
            sessions=sessions,
            webhooks=webhooks,
        )

        return quotas
