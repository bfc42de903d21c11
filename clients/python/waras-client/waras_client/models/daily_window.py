from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="DailyWindow")


@_attrs_define
class DailyWindow:
    """A daily window of local time, e.g. 22:00 to 08:00 in Europe/Berlin (it may span midnight).

    Attributes:
        from_ (str): `HH:MM`, 24-hour clock. Example: 22:00.
        to (str):  Example: 08:00.
        tz (None | str | Unset): An IANA time zone name (default UTC). Example: Europe/Berlin.
    """

    from_: str
    to: str
    tz: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from_ = self.from_

        to = self.to

        tz: None | str | Unset
        if isinstance(self.tz, Unset):
            tz = UNSET
        else:
            tz = self.tz

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "from": from_,
                "to": to,
            }
        )
        if tz is not UNSET:
            field_dict["tz"] = tz

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        from_ = d.pop("from")

        to = d.pop("to")

        def _parse_tz(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        tz = _parse_tz(d.pop("tz", UNSET))

        daily_window = cls(
            from_=from_,
            to=to,
            tz=tz,
        )

        return daily_window
