from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="BlockedContact")


@_attrs_define
class BlockedContact:
    """
    Attributes:
        jid (str): How WhatsApp lists the person (mostly a LID).
        lid (None | str | Unset):
        phone_jid (None | str | Unset): Both addresses where the session knows them.
    """

    jid: str
    lid: None | str | Unset = UNSET
    phone_jid: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        jid = self.jid

        lid: None | str | Unset
        if isinstance(self.lid, Unset):
            lid = UNSET
        else:
            lid = self.lid

        phone_jid: None | str | Unset
        if isinstance(self.phone_jid, Unset):
            phone_jid = UNSET
        else:
            phone_jid = self.phone_jid

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "jid": jid,
            }
        )
        if lid is not UNSET:
            field_dict["lid"] = lid
        if phone_jid is not UNSET:
            field_dict["phone_jid"] = phone_jid

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        jid = d.pop("jid")

        def _parse_lid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        lid = _parse_lid(d.pop("lid", UNSET))

        def _parse_phone_jid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        phone_jid = _parse_phone_jid(d.pop("phone_jid", UNSET))

        blocked_contact = cls(
            jid=jid,
            lid=lid,
            phone_jid=phone_jid,
        )

        blocked_contact.additional_properties = d
        return blocked_contact

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
