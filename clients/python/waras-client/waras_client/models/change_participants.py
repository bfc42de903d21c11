from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.participant_action import ParticipantAction

T = TypeVar("T", bound="ChangeParticipants")


@_attrs_define
class ChangeParticipants:
    """
    Attributes:
        action (ParticipantAction):
        participants (list[str]): 1–256 phone numbers (`+4915…`) or user JIDs.
    """

    action: ParticipantAction
    participants: list[str]

    def to_dict(self) -> dict[str, Any]:
        action = self.action.value

        participants = self.participants

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "action": action,
                "participants": participants,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        action = ParticipantAction(d.pop("action"))

        participants = cast(list[str], d.pop("participants"))

        change_participants = cls(
            action=action,
            participants=participants,
        )

        return change_participants
