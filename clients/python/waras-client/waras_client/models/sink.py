from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Sink")


@_attrs_define
class Sink:
    """
    Attributes:
        created_at (str):
        cursor (str): The id of the last event the sink is past (published or not selected).
        delivered (int): Events published and confirmed by the broker.
        enabled (bool):
        events (list[str]):
        id (str):
        kind (str):
        lag (int): Events in the log after the sink's cursor (of its tenant, or its session), at most 100000.
        status (str): `active`, `failing` (the broker is down or refusing; `last_error` says why) or `paused`.
        updated_at (str):
        url (str): With its password redacted.
        exchange (None | str | Unset):
        failing_since (None | str | Unset):
        last_delivered_at (None | str | Unset):
        last_error (None | str | Unset):
        max_len (int | None | Unset):
        secret (None | str | Unset): The signing secret (`whsec_…`; headers `webhook-id`, `webhook-timestamp`,
            `webhook-signature`), only in the answer that created the sink.
        session_id (None | str | Unset):
        stream (None | str | Unset):
        subject_prefix (None | str | Unset):
    """

    created_at: str
    cursor: str
    delivered: int
    enabled: bool
    events: list[str]
    id: str
    kind: str
    lag: int
    status: str
    updated_at: str
    url: str
    exchange: None | str | Unset = UNSET
    failing_since: None | str | Unset = UNSET
    last_delivered_at: None | str | Unset = UNSET
    last_error: None | str | Unset = UNSET
    max_len: int | None | Unset = UNSET
    secret: None | str | Unset = UNSET
    session_id: None | str | Unset = UNSET
    stream: None | str | Unset = UNSET
    subject_prefix: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        cursor = self.cursor

        delivered = self.delivered

        enabled = self.enabled

        events = self.events

        id = self.id

        kind = self.kind

        lag = self.lag

        status = self.status

        updated_at = self.updated_at

        url = self.url

        exchange: None | str | Unset
        if isinstance(self.exchange, Unset):
            exchange = UNSET
        else:
            exchange = self.exchange

        failing_since: None | str | Unset
        if isinstance(self.failing_since, Unset):
            failing_since = UNSET
        else:
            failing_since = self.failing_since

        last_delivered_at: None | str | Unset
        if isinstance(self.last_delivered_at, Unset):
            last_delivered_at = UNSET
        else:
            last_delivered_at = self.last_delivered_at

        last_error: None | str | Unset
        if isinstance(self.last_error, Unset):
            last_error = UNSET
        else:
            last_error = self.last_error

        max_len: int | None | Unset
        if isinstance(self.max_len, Unset):
            max_len = UNSET
        else:
            max_len = self.max_len

        secret: None | str | Unset
        if isinstance(self.secret, Unset):
            secret = UNSET
        else:
            secret = self.secret

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        stream: None | str | Unset
        if isinstance(self.stream, Unset):
            stream = UNSET
        else:
            stream = self.stream

        subject_prefix: None | str | Unset
        if isinstance(self.subject_prefix, Unset):
            subject_prefix = UNSET
        else:
            subject_prefix = self.subject_prefix

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "cursor": cursor,
                "delivered": delivered,
                "enabled": enabled,
                "events": events,
                "id": id,
                "kind": kind,
                "lag": lag,
                "status": status,
                "updated_at": updated_at,
                "url": url,
            }
        )
        if exchange is not UNSET:
            field_dict["exchange"] = exchange
        if failing_since is not UNSET:
            field_dict["failing_since"] = failing_since
        if last_delivered_at is not UNSET:
            field_dict["last_delivered_at"] = last_delivered_at
        if last_error is not UNSET:
            field_dict["last_error"] = last_error
        if max_len is not UNSET:
            field_dict["max_len"] = max_len
        if secret is not UNSET:
            field_dict["secret"] = secret
        if session_id is not UNSET:
            field_dict["session_id"] = session_id
        if stream is not UNSET:
            field_dict["stream"] = stream
        if subject_prefix is not UNSET:
            field_dict["subject_prefix"] = subject_prefix

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = d.pop("created_at")

        cursor = d.pop("cursor")

        delivered = d.pop("delivered")

        enabled = d.pop("enabled")

        events = cast(list[str], d.pop("events"))

        id = d.pop("id")

        kind = d.pop("kind")

        lag = d.pop("lag")

        status = d.pop("status")

        updated_at = d.pop("updated_at")

        url = d.pop("url")

        def _parse_exchange(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        exchange = _parse_exchange(d.pop("exchange", UNSET))

        def _parse_failing_since(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        failing_since = _parse_failing_since(d.pop("failing_since", UNSET))

        def _parse_last_delivered_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_delivered_at = _parse_last_delivered_at(d.pop("last_delivered_at", UNSET))

        def _parse_last_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        last_error = _parse_last_error(d.pop("last_error", UNSET))

        def _parse_max_len(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_len = _parse_max_len(d.pop("max_len", UNSET))

        def _parse_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        secret = _parse_secret(d.pop("secret", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        def _parse_stream(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        stream = _parse_stream(d.pop("stream", UNSET))

        def _parse_subject_prefix(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        subject_prefix = _parse_subject_prefix(d.pop("subject_prefix", UNSET))

        sink = cls(
            created_at=created_at,
            cursor=cursor,
            delivered=delivered,
            enabled=enabled,
            events=events,
            id=id,
            kind=kind,
            lag=lag,
            status=status,
            updated_at=updated_at,
            url=url,
            exchange=exchange,
            failing_since=failing_since,
            last_delivered_at=last_delivered_at,
            last_error=last_error,
            max_len=max_len,
            secret=secret,
            session_id=session_id,
            stream=stream,
            subject_prefix=subject_prefix,
        )

        sink.additional_properties = d
        return sink

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
