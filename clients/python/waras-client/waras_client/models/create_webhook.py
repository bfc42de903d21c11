from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_webhook_headers_type_0 import CreateWebhookHeadersType0


T = TypeVar("T", bound="CreateWebhook")


@_attrs_define
class CreateWebhook:
    """
    Attributes:
        events (list[str]): Event types, `family.*`, or `["*"]` for all.
        url (str): http(s) URL; private addresses need `webhook_allow_private`.
        headers (CreateWebhookHeadersType0 | None | Unset): Extra headers sent with every delivery. Their values are
            kept sealed and shown only in
            this request's answer; later answers show `[REDACTED]`.
        ordered (bool | None | Unset): Deliver one session's events strictly in order (a failing event holds back later
            ones).
        session_id (None | str | Unset): Only events of this session (default: every session of the tenant).
    """

    events: list[str]
    url: str
    headers: CreateWebhookHeadersType0 | None | Unset = UNSET
    ordered: bool | None | Unset = UNSET
    session_id: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_webhook_headers_type_0 import CreateWebhookHeadersType0  # noqa: PLC0415

        events = self.events

        url = self.url

        headers: dict[str, Any] | None | Unset
        if isinstance(self.headers, Unset):
            headers = UNSET
        elif isinstance(self.headers, CreateWebhookHeadersType0):
            headers = self.headers.to_dict()
        else:
            headers = self.headers

        ordered: bool | None | Unset
        if isinstance(self.ordered, Unset):
            ordered = UNSET
        else:
            ordered = self.ordered

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "events": events,
                "url": url,
            }
        )
        if headers is not UNSET:
            field_dict["headers"] = headers
        if ordered is not UNSET:
            field_dict["ordered"] = ordered
        if session_id is not UNSET:
            field_dict["session_id"] = session_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_webhook_headers_type_0 import CreateWebhookHeadersType0  # noqa: PLC0415

        d = dict(src_dict)
        events = cast(list[str], d.pop("events"))

        url = d.pop("url")

        def _parse_headers(data: object) -> CreateWebhookHeadersType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                headers_type_0 = CreateWebhookHeadersType0.from_dict(data)

                return headers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateWebhookHeadersType0 | None | Unset, data)

        headers = _parse_headers(d.pop("headers", UNSET))

        def _parse_ordered(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        ordered = _parse_ordered(d.pop("ordered", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        create_webhook = cls(
            events=events,
            url=url,
            headers=headers,
            ordered=ordered,
            session_id=session_id,
        )

        return create_webhook
