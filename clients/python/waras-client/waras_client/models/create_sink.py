from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateSink")


@_attrs_define
class CreateSink:
    """
    Attributes:
        kind (str): `nats`, `rabbitmq` or `redis`.
        url (str): The broker: `nats://[user:pass@]host:4222`, `amqp://user:pass@host:5672/vhost` or
            `redis://[:pass@]host:6379/db` (`tls`, `amqps`, `rediss` for TLS). Private addresses need
            `webhook_allow_private`.
        events (list[str] | None | Unset): Event types, `family.*`, or `["*"]` (the default).
        exchange (None | str | Unset): RabbitMQ: the durable topic exchange (default `waras`); the routing key is the
            event type.
        max_len (int | None | Unset): Redis: the stream's approximate length cap (default 100000).
        session_id (None | str | Unset): Only events of this session (default: every session of the tenant, and tenant
            events).
        stream (None | str | Unset): Redis: the stream (default `waras:<tenant_id>`), one per sink.
        subject_prefix (None | str | Unset): NATS: subjects are `<subject_prefix>.<tenant_id>.<session_id or _>.<event
            type>`
            (default `waras`).
    """

    kind: str
    url: str
    events: list[str] | None | Unset = UNSET
    exchange: None | str | Unset = UNSET
    max_len: int | None | Unset = UNSET
    session_id: None | str | Unset = UNSET
    stream: None | str | Unset = UNSET
    subject_prefix: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        kind = self.kind

        url = self.url

        events: list[str] | None | Unset
        if isinstance(self.events, Unset):
            events = UNSET
        elif isinstance(self.events, list):
            events = self.events

        else:
            events = self.events

        exchange: None | str | Unset
        if isinstance(self.exchange, Unset):
            exchange = UNSET
        else:
            exchange = self.exchange

        max_len: int | None | Unset
        if isinstance(self.max_len, Unset):
            max_len = UNSET
        else:
            max_len = self.max_len

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

        field_dict.update(
            {
                "kind": kind,
                "url": url,
            }
        )
        if events is not UNSET:
            field_dict["events"] = events
        if exchange is not UNSET:
            field_dict["exchange"] = exchange
        if max_len is not UNSET:
            field_dict["max_len"] = max_len
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
        kind = d.pop("kind")

        url = d.pop("url")

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

        def _parse_exchange(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        exchange = _parse_exchange(d.pop("exchange", UNSET))

        def _parse_max_len(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        max_len = _parse_max_len(d.pop("max_len", UNSET))

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

        create_sink = cls(
            kind=kind,
            url=url,
            events=events,
            exchange=exchange,
            max_len=max_len,
            session_id=session_id,
            stream=stream,
            subject_prefix=subject_prefix,
        )

        return create_sink
