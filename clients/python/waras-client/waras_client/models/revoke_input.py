from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="RevokeInput")


@_attrs_define
class RevokeInput:
    """
    Attributes:
        message_id (str): WARAS id of a message this session sent; it is deleted for everyone.
    """

    message_id: str

    def to_dict(self) -> dict[str, Any]:
        message_id = self.message_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "message_id": message_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        message_id = d.pop("message_id")

        revoke_input = cls(
            message_id=message_id,
        )

        return revoke_input
