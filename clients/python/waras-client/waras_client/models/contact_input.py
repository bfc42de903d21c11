from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="ContactInput")


@_attrs_define
class ContactInput:
    """A contact card: a name and a phone number (a vCard is written from them), or a full `vcard`.

    Attributes:
        name (str):
        phone (None | str | Unset):
        vcard (None | str | Unset):
    """

    name: str
    phone: None | str | Unset = UNSET
    vcard: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        phone: None | str | Unset
        if isinstance(self.phone, Unset):
            phone = UNSET
        else:
            phone = self.phone

        vcard: None | str | Unset
        if isinstance(self.vcard, Unset):
            vcard = UNSET
        else:
            vcard = self.vcard

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if phone is not UNSET:
            field_dict["phone"] = phone
        if vcard is not UNSET:
            field_dict["vcard"] = vcard

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        def _parse_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone = _parse_phone(d.pop("phone", UNSET))

        def _parse_vcard(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        vcard = _parse_vcard(d.pop("vcard", UNSET))

        contact_input = cls(
            name=name,
            phone=phone,
            vcard=vcard,
        )

        return contact_input
