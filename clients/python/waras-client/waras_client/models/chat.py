from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.message import Message


T = TypeVar("T", bound="Chat")


@_attrs_define
class Chat:
    """
    Attributes:
        archived (bool): Shared with the account's devices (app state).
        chat (str): The chat's JID (a user or a group).
        is_group (bool):
        last_message (Message):
        marked_unread (bool): Marked unread on a device (or through the API).
        messages (int): Messages stored for this chat.
        muted (bool):
        pinned (bool):
        unread (int): Received messages not marked read through WARAS.
        muted_until (None | str | Unset): Until when the chat is muted; `null`: not muted or for ever (see `muted`).
    """

    archived: bool
    chat: str
    is_group: bool
    last_message: Message
    marked_unread: bool
    messages: int
    muted: bool
    pinned: bool
    unread: int
    muted_until: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        archived = self.archived

        chat = self.chat

        is_group = self.is_group

        last_message = self.last_message.to_dict()

        marked_unread = self.marked_unread

        messages = self.messages

        muted = self.muted

        pinned = self.pinned

        unread = self.unread

        muted_until: None | str | Unset
        if isinstance(self.muted_until, Unset):
            muted_until = UNSET
        else:
            muted_until = self.muted_until

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "archived": archived,
                "chat": chat,
                "is_group": is_group,
                "last_message": last_message,
                "marked_unread": marked_unread,
                "messages": messages,
                "muted": muted,
                "pinned": pinned,
                "unread": unread,
            }
        )
        if muted_until is not UNSET:
            field_dict["muted_until"] = muted_until

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.message import Message  # noqa: PLC0415

        d = dict(src_dict)
        archived = d.pop("archived")

        chat = d.pop("chat")

        is_group = d.pop("is_group")

        last_message = Message.from_dict(d.pop("last_message"))

        marked_unread = d.pop("marked_unread")

        messages = d.pop("messages")

        muted = d.pop("muted")

        pinned = d.pop("pinned")

        unread = d.pop("unread")

        def _parse_muted_until(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        muted_until = _parse_muted_until(d.pop("muted_until", UNSET))

        chat = cls(
            archived=archived,
            chat=chat,
            is_group=is_group,
            last_message=last_message,
            marked_unread=marked_unread,
            messages=messages,
            muted=muted,
            pinned=pinned,
            unread=unread,
            muted_until=muted_until,
        )

        chat.additional_properties = d
        return chat

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
