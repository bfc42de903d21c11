from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CheckContacts")


@_attrs_define
class CheckContacts:
    """
    Attributes:
        phones (list[str]): 1–100 phone numbers in international form (`+4915…`).
    """

    phones: list[str]

    def to_dict(self) -> dict[str, Any]:
        phones = self.phones

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "phones": phones,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        phones = cast(list[str], d.pop("phones"))

        check_contacts = cls(
            phones=phones,
        )

        return check_contacts
