from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Accepted")


@_attrs_define
class Accepted:
    """
    Attributes:
        created_at (str):
        id (str):
        session_id (str):
        status (str): queued (or scheduled, with `send_at`), sent, delivered, read or failed.
        to (str):
        wa_id (str): The WhatsApp message id, fixed when the send was accepted.
        send_at (None | str | Unset): When a scheduled send goes out.
    """

    created_at: str
    id: str
    session_id: str
    status: str
    to: str
    wa_id: str
    send_at: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        id = self.id

        session_id = self.session_id

        status = self.status

        to = self.to

        wa_id = self.wa_id

        send_at: None | str | Unset
        if isinstance(self.send_at, Unset):
            send_at = UNSET
        else:
            send_at = self.send_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "session_id": session_id,
                "status": status,
                "to": to,
                "wa_id": wa_id,
            }
        )
        if send_at is not UNSET:
            field_dict["send_at"] = send_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        created_at = d.pop("created_at")

        id = d.pop("id")

        session_id = d.pop("session_id")

        status = d.pop("status")

        to = d.pop("to")

        wa_id = d.pop("wa_id")

        def _parse_send_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        send_at = _parse_send_at(d.pop("send_at", UNSET))

        accepted = cls(
            created_at=created_at,
            id=id,
            session_id=session_id,
            status=status,
            to=to,
            wa_id=wa_id,
            send_at=send_at,
        )

        accepted.additional_properties = d
        return accepted

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
