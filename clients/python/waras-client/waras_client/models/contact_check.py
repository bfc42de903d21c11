from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="ContactCheck")


@_attrs_define
class ContactCheck:
    """
    Attributes:
        business (bool): A WhatsApp Business account.
        on_whatsapp (bool):
        phone (str): The phone number as given.
        jid (None | str | Unset): The phone-number JID when on WhatsApp.
        lid (None | str | Unset): The LID JID, where WhatsApp tells it.
    """

    business: bool
    on_whatsapp: bool
    phone: str
    jid: None | str | Unset = UNSET
    lid: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        business = self.business

        on_whatsapp = self.on_whatsapp

        phone = self.phone

        jid: None | str | Unset
        if isinstance(self.jid, Unset):
            jid = UNSET
        else:
            jid = self.jid

        lid: None | str | Unset
        if isinstance(self.lid, Unset):
            lid = UNSET
        else:
            lid = self.lid

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "business": business,
                "on_whatsapp": on_whatsapp,
                "phone": phone,
            }
        )
        if jid is not UNSET:
            field_dict["jid"] = jid
        if lid is not UNSET:
            field_dict["lid"] = lid

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        business = d.pop("business")

        on_whatsapp = d.pop("on_whatsapp")

        phone = d.pop("phone")

        def _parse_jid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        jid = _parse_jid(d.pop("jid", UNSET))

        def _parse_lid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        lid = _parse_lid(d.pop("lid", UNSET))

        contact_check = cls(
            business=business,
            on_whatsapp=on_whatsapp,
            phone=phone,
            jid=jid,
            lid=lid,
        )

        contact_check.additional_properties = d
        return contact_check

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
