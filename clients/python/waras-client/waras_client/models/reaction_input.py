from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="ReactionInput")


@_attrs_define
class ReactionInput:
    """
    Attributes:
        emoji (str): One emoji; an empty string removes the reaction.
        message_id (str): WARAS id of the message reacted to.
    """

    emoji: str
    message_id: str

    def to_dict(self) -> dict[str, Any]:
        emoji = self.emoji

        message_id = self.message_id

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "emoji": emoji,
                "message_id": message_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        emoji = d.pop("emoji")

        message_id = d.pop("message_id")

        reaction_input = cls(
            emoji=emoji,
            message_id=message_id,
        )

        return reaction_input
