from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Call")


@_attrs_define
class Call:
    """
    Attributes:
        call_id (str): WhatsApp's id of the call.
        created_at (str):
        from_ (str): The caller: the phone-number JID where known, else the LID.
        status (str): `ringing`, `rejected`, `missed` (the caller gave up), `accepted_elsewhere` or
            `rejected_elsewhere` (another device of the account answered or declined).
        video (bool):
        ended_at (None | str | Unset):
        from_lid (None | str | Unset):
        from_phone (None | str | Unset):
    """

    call_id: str
    created_at: str
    from_: str
    status: str
    video: bool
    ended_at: None | str | Unset = UNSET
    from_lid: None | str | Unset = UNSET
    from_phone: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        call_id = self.call_id

        created_at = self.created_at

        from_ = self.from_

        status = self.status

        video = self.video

        ended_at: None | str | Unset
        if isinstance(self.ended_at, Unset):
            ended_at = UNSET
        else:
            ended_at = self.ended_at

        from_lid: None | str | Unset
        if isinstance(self.from_lid, Unset):
            from_lid = UNSET
        else:
            from_lid = self.from_lid

        from_phone: None | str | Unset
        if isinstance(self.from_phone, Unset):
            from_phone = UNSET
        else:
            from_phone = self.from_phone

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "call_id": call_id,
                "created_at": created_at,
                "from": from_,
                "status": status,
                "video": video,
            }
        )
        if ended_at is not UNSET:
            field_dict["ended_at"] = ended_at
        if from_lid is not UNSET:
            field_dict["from_lid"] = from_lid
        if from_phone is not UNSET:
            field_dict["from_phone"] = from_phone

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        call_id = d.pop("call_id")

        created_at = d.pop("created_at")

        from_ = d.pop("from")

        status = d.pop("status")

        video = d.pop("video")

        def _parse_ended_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        ended_at = _parse_ended_at(d.pop("ended_at", UNSET))

        def _parse_from_lid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        from_lid = _parse_from_lid(d.pop("from_lid", UNSET))

        def _parse_from_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        from_phone = _parse_from_phone(d.pop("from_phone", UNSET))

        call = cls(
            call_id=call_id,
            created_at=created_at,
            from_=from_,
            status=status,
            video=video,
            ended_at=ended_at,
            from_lid=from_lid,
            from_phone=from_phone,
        )

        call.additional_properties = d
        return call

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
