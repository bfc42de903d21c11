from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.presence_state import PresenceState
from ..types import UNSET, Unset

T = TypeVar("T", bound="PresenceRequest")


@_attrs_define
class PresenceRequest:
    """
    Attributes:
        state (PresenceState): The presence states a session can show.
        chat (None | str | Unset): A phone number or JID; required for composing, recording and paused.
    """

    state: PresenceState
    chat: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        state = self.state.value

        chat: None | str | Unset
        if isinstance(self.chat, Unset):
            chat = UNSET
        else:
            chat = self.chat

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "state": state,
            }
        )
        if chat is not UNSET:
            field_dict["chat"] = chat

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        state = PresenceState(d.pop("state"))

        def _parse_chat(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        chat = _parse_chat(d.pop("chat", UNSET))

        presence_request = cls(
            state=state,
            chat=chat,
        )

        return presence_request
