from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Contact")


@_attrs_define
class Contact:
    """One person as this session knows them: both addresses where WhatsApp told them, and names.

    Attributes:
        business (bool):
        updated_at (str):
        lid (None | str | Unset): `…@lid`, where known.
        name (None | str | Unset): The name the account saved, where known.
        phone (None | str | Unset): The phone number with `+`, where known.
        phone_jid (None | str | Unset): `…@s.whatsapp.net`, where known.
        push_name (None | str | Unset): The name the person set for themselves.
    """

    business: bool
    updated_at: str
    lid: None | str | Unset = UNSET
    name: None | str | Unset = UNSET
    phone: None | str | Unset = UNSET
    phone_jid: None | str | Unset = UNSET
    push_name: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        business = self.business

        updated_at = self.updated_at

        lid: None | str | Unset
        if isinstance(self.lid, Unset):
            lid = UNSET
        else:
            lid = self.lid

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        phone: None | str | Unset
        if isinstance(self.phone, Unset):
            phone = UNSET
        else:
            phone = self.phone

        phone_jid: None | str | Unset
        if isinstance(self.phone_jid, Unset):
            phone_jid = UNSET
        else:
            phone_jid = self.phone_jid

        push_name: None | str | Unset
        if isinstance(self.push_name, Unset):
            push_name = UNSET
        else:
            push_name = self.push_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "business": business,
                "updated_at": updated_at,
            }
        )
        if lid is not UNSET:
            field_dict["lid"] = lid
        if name is not UNSET:
            field_dict["name"] = name
        if phone is not UNSET:
            field_dict["phone"] = phone
        if phone_jid is not UNSET:
            field_dict["phone_jid"] = phone_jid
        if push_name is not UNSET:
            field_dict["push_name"] = push_name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        business = d.pop("business")

        updated_at = d.pop("updated_at")

        def _parse_lid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        lid = _parse_lid(d.pop("lid", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone = _parse_phone(d.pop("phone", UNSET))

        def _parse_phone_jid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone_jid = _parse_phone_jid(d.pop("phone_jid", UNSET))

        def _parse_push_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        push_name = _parse_push_name(d.pop("push_name", UNSET))

        contact = cls(
            business=business,
            updated_at=updated_at,
            lid=lid,
            name=name,
            phone=phone,
            phone_jid=phone_jid,
            push_name=push_name,
        )

        contact.additional_properties = d
        return contact

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
