from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.chat_kind import ChatKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.daily_window import DailyWindow


T = TypeVar("T", bound="RuleMatch")


@_attrs_define
class RuleMatch:
    """What an incoming message must be for a rule to act; every given field must hold.

    Attributes:
        chat (ChatKind | None | Unset):
        from_ (None | str | Unset): The sender's phone number (international form, digits or +digits).
        hours (DailyWindow | None | Unset):
        keyword (None | str | Unset): A word or phrase the text (or caption) contains, in any case, as whole words.
        regex (None | str | Unset): A regular expression (Rust syntax) the text or caption matches.
        type_ (None | str | Unset): The message type (text, image, …).
    """

    chat: ChatKind | None | Unset = UNSET
    from_: None | str | Unset = UNSET
    hours: DailyWindow | None | Unset = UNSET
    keyword: None | str | Unset = UNSET
    regex: None | str | Unset = UNSET
    type_: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.daily_window import DailyWindow  # noqa: PLC0415

        chat: None | str | Unset
        if isinstance(self.chat, Unset):
            chat = UNSET
        elif isinstance(self.chat, ChatKind):
            chat = self.chat.value
        else:
            chat = self.chat

        from_: None | str | Unset
        if isinstance(self.from_, Unset):
            from_ = UNSET
        else:
            from_ = self.from_

        hours: dict[str, Any] | None | Unset
        if isinstance(self.hours, Unset):
            hours = UNSET
        elif isinstance(self.hours, DailyWindow):
            hours = self.hours.to_dict()
        else:
            hours = self.hours

        keyword: None | str | Unset
        if isinstance(self.keyword, Unset):
            keyword = UNSET
        else:
            keyword = self.keyword

        regex: None | str | Unset
        if isinstance(self.regex, Unset):
            regex = UNSET
        else:
            regex = self.regex

        type_: None | str | Unset
        if isinstance(self.type_, Unset):
            type_ = UNSET
        else:
            type_ = self.type_

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if chat is not UNSET:
            field_dict["chat"] = chat
        if from_ is not UNSET:
            field_dict["from"] = from_
        if hours is not UNSET:
            field_dict["hours"] = hours
        if keyword is not UNSET:
            field_dict["keyword"] = keyword
        if regex is not UNSET:
            field_dict["regex"] = regex
        if type_ is not UNSET:
            field_dict["type"] = type_

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.daily_window import DailyWindow  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_chat(data: object) -> ChatKind | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                chat_type_1 = ChatKind(data)

                return chat_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ChatKind | None | Unset, data)

        chat = _parse_chat(d.pop("chat", UNSET))

        def _parse_from_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        from_ = _parse_from_(d.pop("from", UNSET))

        def _parse_hours(data: object) -> DailyWindow | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                hours_type_1 = DailyWindow.from_dict(data)

                return hours_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(DailyWindow | None | Unset, data)

        hours = _parse_hours(d.pop("hours", UNSET))

        def _parse_keyword(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        keyword = _parse_keyword(d.pop("keyword", UNSET))

        def _parse_regex(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        regex = _parse_regex(d.pop("regex", UNSET))

        def _parse_type_(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        type_ = _parse_type_(d.pop("type", UNSET))

        rule_match = cls(
            chat=chat,
            from_=from_,
            hours=hours,
            keyword=keyword,
            regex=regex,
            type_=type_,
        )

        return rule_match
