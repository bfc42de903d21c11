from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.update_webhook_headers_type_0 import UpdateWebhookHeadersType0


T = TypeVar("T", bound="UpdateWebhook")


@_attrs_define
class UpdateWebhook:
    """
    Attributes:
        enabled (bool | None | Unset): `true` re-enables a disabled endpoint.
        events (list[str] | None | Unset):
        headers (None | Unset | UpdateWebhookHeadersType0): Replaces the custom headers; a value of `[REDACTED]` keeps
            that header's current value.
        ordered (bool | None | Unset):
        replay (bool | None | Unset): With `enabled: true` on a disabled endpoint: also deliver what was still pending
            when it
            was disabled. Default `false`: those deliveries are marked failed (each can be retried),
            and only events from the re-enabling on are delivered.
        url (None | str | Unset):
    """

    enabled: bool | None | Unset = UNSET
    events: list[str] | None | Unset = UNSET
    headers: None | Unset | UpdateWebhookHeadersType0 = UNSET
    ordered: bool | None | Unset = UNSET
    replay: bool | None | Unset = UNSET
    url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.update_webhook_headers_type_0 import UpdateWebhookHeadersType0  # noqa: PLC0415

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        events: list[str] | None | Unset
        if isinstance(self.events, Unset):
            events = UNSET
        elif isinstance(self.events, list):
            events = self.events

        else:
            events = self.events

        headers: dict[str, Any] | None | Unset
        if isinstance(self.headers, Unset):
            headers = UNSET
        elif isinstance(self.headers, UpdateWebhookHeadersType0):
            headers = self.headers.to_dict()
        else:
            headers = self.headers

        ordered: bool | None | Unset
        if isinstance(self.ordered, Unset):
            ordered = UNSET
        else:
            ordered = self.ordered

        replay: bool | None | Unset
        if isinstance(self.replay, Unset):
            replay = UNSET
        else:
            replay = self.replay

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if events is not UNSET:
            field_dict["events"] = events
        if headers is not UNSET:
            field_dict["headers"] = headers
        if ordered is not UNSET:
            field_dict["ordered"] = ordered
        if replay is not UNSET:
            field_dict["replay"] = replay
        if url is not UNSET:
            field_dict["url"] = url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.update_webhook_headers_type_0 import UpdateWebhookHeadersType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        def _parse_events(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                events_type_0 = cast(list[str], data)

                return events_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        events = _parse_events(d.pop("events", UNSET))

        def _parse_headers(data: object) -> None | Unset | UpdateWebhookHeadersType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                headers_type_0 = UpdateWebhookHeadersType0.from_dict(data)

                return headers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpdateWebhookHeadersType0, data)

        headers = _parse_headers(d.pop("headers", UNSET))

        def _parse_ordered(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        ordered = _parse_ordered(d.pop("ordered", UNSET))

        def _parse_replay(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        replay = _parse_replay(d.pop("replay", UNSET))

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        update_webhook = cls(
            enabled=enabled,
            events=events,
            headers=headers,
            ordered=ordered,
            replay=replay,
            url=url,
        )

        return update_webhook
