from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PollInput")


@_attrs_define
class PollInput:
    """
    Attributes:
        name (str):
        options (list[str]): 2 to 12 distinct options of 1 to 100 characters.
        selectable_count (int | None | Unset): How many options a voter may pick (default 1), at most as many as there
            are options.
    """

    name: str
    options: list[str]
    selectable_count: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        options = self.options

        selectable_count: int | None | Unset
        if isinstance(self.selectable_count, Unset):
            selectable_count = UNSET
        else:
            selectable_count = self.selectable_count

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "options": options,
            }
        )
        if selectable_count is not UNSET:
            field_dict["selectable_count"] = selectable_count

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        options = cast(list[str], d.pop("options"))

        def _parse_selectable_count(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        selectable_count = _parse_selectable_count(d.pop("selectable_count", UNSET))

        poll_input = cls(
            name=name,
            options=options,
            selectable_count=selectable_count,
        )

        return poll_input
