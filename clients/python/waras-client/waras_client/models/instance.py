from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Instance")


@_attrs_define
class Instance:
    """
    Attributes:
        advertise_url (str): How the other instances reach this one.
        id (str):
        last_seen_at (str):
        sessions (int): Sessions it runs now.
        started_at (str):
        status (str): `active`, `draining` (handing its sessions over), `stopped`, or `unreachable` (no
            heartbeat within the lease TTL: its sessions move to the others).
    """

    advertise_url: str
    id: str
    last_seen_at: str
    sessions: int
    started_at: str
    status: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        advertise_url = self.advertise_url

        id = self.id

        last_seen_at = self.last_seen_at

        sessions = self.sessions

        started_at = self.started_at

        status = self.status

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "advertise_url": advertise_url,
                "id": id,
                "last_seen_at": last_seen_at,
                "sessions": sessions,
                "started_at": started_at,
                "status": status,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        advertise_url = d.pop("advertise_url")

        id = d.pop("id")

        last_seen_at = d.pop("last_seen_at")

        sessions = d.pop("sessions")

        started_at = d.pop("started_at")

        status = d.pop("status")

        instance = cls(
            advertise_url=advertise_url,
            id=id,
            last_seen_at=last_seen_at,
            sessions=sessions,
            started_at=started_at,
            status=status,
        )

        instance.additional_properties = d
        return instance

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
