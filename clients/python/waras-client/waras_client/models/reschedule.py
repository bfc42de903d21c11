from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="Reschedule")


@_attrs_define
class Reschedule:
    """
    Attributes:
        send_at (datetime.datetime): The new time (RFC 3339, at most a year ahead); a time already past sends it now.
    """

    send_at: datetime.datetime

    def to_dict(self) -> dict[str, Any]:
        send_at = self.send_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "send_at": send_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        send_at = datetime.datetime.fromisoformat(d.pop("send_at"))

        reschedule = cls(
            send_at=send_at,
        )

        return reschedule
