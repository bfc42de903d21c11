from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

T = TypeVar("T", bound="CreateGroup")


@_attrs_define
class CreateGroup:
    """
    Attributes:
        participants (list[str]): 1–256 phone numbers (`+4915…`) or user JIDs; the session's account joins as super
            admin.
        subject (str): 1–100 characters.
    """

    participants: list[str]
    subject: str

    def to_dict(self) -> dict[str, Any]:
        participants = self.participants

        subject = self.subject

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "participants": participants,
                "subject": subject,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        participants = cast(list[str], d.pop("participants"))

        subject = d.pop("subject")

        create_group = cls(
            participants=participants,
            subject=subject,
        )

        return create_group
