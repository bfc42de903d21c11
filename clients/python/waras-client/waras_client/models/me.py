from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Me")


@_attrs_define
class Me:
    """
    Attributes:
        lid (None | str | Unset):
        phone_jid (None | str | Unset):
        push_name (None | str | Unset):
    """

    lid: None | str | Unset = UNSET
    phone_jid: None | str | Unset = UNSET
    push_name: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
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

        push_name: None | str | Unset
        if isinstance(self.push_name, Unset):
            push_name = UNSET
        else:
            push_name = self.push_name

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if lid is not UNSET:
            field_dict["lid"] = lid
        if phone_jid is not UNSET:
            field_dict["phone_jid"] = phone_jid
        if push_name is not UNSET:
            field_dict["push_name"] = push_name

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)

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

        def _parse_push_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        push_name = _parse_push_name(d.pop("push_name", UNSET))

        me = cls(
            lid=lid,
            phone_jid=phone_jid,
            push_name=push_name,
        )

        me.additional_properties = d
        return me

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
