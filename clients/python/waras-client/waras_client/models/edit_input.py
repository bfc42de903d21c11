from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="EditInput")


@_attrs_define
class EditInput:
    """
    Attributes:
        message_id (str): WARAS id of a message this session sent.
        text (str):
    """

    message_id: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        message_id = self.message_id

        text = self.text

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "message_id": message_id,
                "text": text,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        message_id = d.pop("message_id")

        text = d.pop("text")

        edit_input = cls(
            message_id=message_id,
            text=text,
        )

        return edit_input
