from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.daily_window import DailyWindow


T = TypeVar("T", bound="Pacing")


@_attrs_define
class Pacing:
    """How fast each session of a campaign sends.

    Attributes:
        per_minute (int): Messages per minute per session (1 to 600).
        daily_cap (int | None | Unset): At most this many messages per session per day (in the quiet hours' time zone,
            else UTC).
        jitter_secs (int | None | Unset): Up to this many seconds (0 to 3600) added at random to each gap between two
            sends.
        quiet_hours (DailyWindow | None | Unset):
        typing (bool | None | Unset): Show "typing…" for two seconds before each message.
    """

    per_minute: int
    daily_cap: int | None | Unset = UNSET
    jitter_secs: int | None | Unset = UNSET
    quiet_hours: DailyWindow | None | Unset = UNSET
    typing: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.daily_window import DailyWindow  # noqa: PLC0415

        per_minute = self.per_minute

        daily_cap: int | None | Unset
        if isinstance(self.daily_cap, Unset):
            daily_cap = UNSET
        else:
            daily_cap = self.daily_cap

        jitter_secs: int | None | Unset
        if isinstance(self.jitter_secs, Unset):
            jitter_secs = UNSET
        else:
            jitter_secs = self.jitter_secs

        quiet_hours: dict[str, Any] | None | Unset
        if isinstance(self.quiet_hours, Unset):
            quiet_hours = UNSET
        elif isinstance(self.quiet_hours, DailyWindow):
            quiet_hours = self.quiet_hours.to_dict()
        else:
            quiet_hours = self.quiet_hours

        typing: bool | None | Unset
        if isinstance(self.typing, Unset):
            typing = UNSET
        else:
            typing = self.typing

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "per_minute": per_minute,
            }
        )
        if daily_cap is not UNSET:
            field_dict["daily_cap"] = daily_cap
        if jitter_secs is not UNSET:
            field_dict["jitter_secs"] = jitter_secs
        if quiet_hours is not UNSET:
            field_dict["quiet_hours"] = quiet_hours
        if typing is not UNSET:
            field_dict["typing"] = typing

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.daily_window import DailyWindow  # noqa: PLC0415

        d = dict(src_dict)
        per_minute = d.pop("per_minute")

        def _parse_daily_cap(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        daily_cap = _parse_daily_cap(d.pop("daily_cap", UNSET))

        def _parse_jitter_secs(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        jitter_secs = _parse_jitter_secs(d.pop("jitter_secs", UNSET))

        def _parse_quiet_hours(data: object) -> DailyWindow | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                quiet_hours_type_1 = DailyWindow.from_dict(data)

                return quiet_hours_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DailyWindow | None | Unset, data)

        quiet_hours = _parse_quiet_hours(d.pop("quiet_hours", UNSET))

        def _parse_typing(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        typing = _parse_typing(d.pop("typing", UNSET))

        pacing = cls(
            per_minute=per_minute,
            daily_cap=daily_cap,
            jitter_secs=jitter_secs,
            quiet_hours=quiet_hours,
            typing=typing,
        )

        return pacing
