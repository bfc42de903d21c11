from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.contact_card import ContactCard
    from ..models.edit import Edit
    from ..models.location import Location
    from ..models.media_info import MediaInfo
    from ..models.message_ref import MessageRef
    from ..models.poll import Poll
    from ..models.poll_vote import PollVote
    from ..models.reaction import Reaction
    from ..models.revoke import Revoke


T = TypeVar("T", bound="Message")


@_attrs_define
class Message:
    """
    Attributes:
        chat (str):
        created_at (str):
        from_ (str):
        from_me (bool):
        id (str):
        session_id (str):
        status (str): queued, scheduled, sent, delivered, read, failed, cancelled (own) or received.
        type_ (str): text, image, video, audio, document, sticker, location, contact, poll, reaction,
            poll_vote, edit or revoke.
        updated_at (str):
        wa_id (str):
        caption (None | str | Unset):
        contact (ContactCard | None | Unset):
        edit (Edit | None | Unset):
        edited_at (None | str | Unset): Set once the sender edited this message (the text above is the latest).
        location (Location | None | Unset):
        media (MediaInfo | None | Unset):
        mentions (list[str] | Unset): JIDs mentioned in the text or caption.
        poll (None | Poll | Unset):
        poll_vote (None | PollVote | Unset):
        quoted (MessageRef | None | Unset):
        reaction (None | Reaction | Unset):
        revoke (None | Revoke | Unset):
        revoked_at (None | str | Unset): Set once the sender deleted this message for everyone (its content is then
            gone).
        text (None | str | Unset):
        error (None | str | Unset):
        from_lid (None | str | Unset):
        from_phone (None | str | Unset):
        late (bool | Unset): A scheduled send that went out more than a second after `send_at` (its session was not
            WORKING then).
        reply_to (None | str | Unset):
        send_at (None | str | Unset): A scheduled send's time.
        timestamp (None | str | Unset):
    """

    chat: str
    created_at: str
    from_: str
    from_me: bool
    id: str
    session_id: str
    status: str
    type_: str
    updated_at: str
    wa_id: str
    caption: None | str | Unset = UNSET
    contact: ContactCard | None | Unset = UNSET
    edit: Edit | None | Unset = UNSET
    edited_at: None | str | Unset = UNSET
    location: Location | None | Unset = UNSET
    media: MediaInfo | None | Unset = UNSET
    mentions: list[str] | Unset = UNSET
    poll: None | Poll | Unset = UNSET
    poll_vote: None | PollVote | Unset = UNSET
    quoted: MessageRef | None | Unset = UNSET
    reaction: None | Reaction | Unset = UNSET
    revoke: None | Revoke | Unset = UNSET
    revoked_at: None | str | Unset = UNSET
    text: None | str | Unset = UNSET
    error: None | str | Unset = UNSET
    from_lid: None | str | Unset = UNSET
    from_phone: None | str | Unset = UNSET
    late: bool | Unset = UNSET
    reply_to: None | str | Unset = UNSET
    send_at: None | str | Unset = UNSET
    timestamp: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.contact_card import ContactCard  # noqa: PLC0415
        from ..models.edit import Edit  # noqa: PLC0415
        from ..models.location import Location  # noqa: PLC0415
        from ..models.media_info import MediaInfo  # noqa: PLC0415
        from ..models.message_ref import MessageRef  # noqa: PLC0415
        from ..models.poll import Poll  # noqa: PLC0415
        from ..models.poll_vote import PollVote  # noqa: PLC0415
        from ..models.reaction import Reaction  # noqa: PLC0415
        from ..models.revoke import Revoke  # noqa: PLC0415

        chat = self.chat

        created_at = self.created_at

        from_ = self.from_

        from_me = self.from_me

        id = self.id

        session_id = self.session_id

        status = self.status

        type_ = self.type_

        updated_at = self.updated_at

        wa_id = self.wa_id

        caption: None | str | Unset
        if isinstance(self.caption, Unset):
            caption = UNSET
        else:
            caption = self.caption

        contact: dict[str, Any] | None | Unset
        if isinstance(self.contact, Unset):
            contact = UNSET
        elif isinstance(self.contact, ContactCard):
            contact = self.contact.to_dict()
        else:
            contact = self.contact

        edit: dict[str, Any] | None | Unset
        if isinstance(self.edit, Unset):
            edit = UNSET
        elif isinstance(self.edit, Edit):
            edit = self.edit.to_dict()
        else:
            edit = self.edit

        edited_at: None | str | Unset
        if isinstance(self.edited_at, Unset):
            edited_at = UNSET
        else:
            edited_at = self.edited_at

        location: dict[str, Any] | None | Unset
        if isinstance(self.location, Unset):
            location = UNSET
        elif isinstance(self.location, Location):
            location = self.location.to_dict()
        else:
            location = self.location

        media: dict[str, Any] | None | Unset
        if isinstance(self.media, Unset):
            media = UNSET
        elif isinstance(self.media, MediaInfo):
            media = self.media.to_dict()
        else:
            media = self.media

        mentions: list[str] | Unset = UNSET
        if not isinstance(self.mentions, Unset):
            mentions = self.mentions

        poll: dict[str, Any] | None | Unset
        if isinstance(self.poll, Unset):
            poll = UNSET
        elif isinstance(self.poll, Poll):
            poll = self.poll.to_dict()
        else:
            poll = self.poll

        poll_vote: dict[str, Any] | None | Unset
        if isinstance(self.poll_vote, Unset):
            poll_vote = UNSET
        elif isinstance(self.poll_vote, PollVote):
            poll_vote = self.poll_vote.to_dict()
        else:
            poll_vote = self.poll_vote

        quoted: dict[str, Any] | None | Unset
        if isinstance(self.quoted, Unset):
            quoted = UNSET
        elif isinstance(self.quoted, MessageRef):
            quoted = self.quoted.to_dict()
        else:
            quoted = self.quoted

        reaction: dict[str, Any] | None | Unset
        if isinstance(self.reaction, Unset):
            reaction = UNSET
        elif isinstance(self.reaction, Reaction):
            reaction = self.reaction.to_dict()
        else:
            reaction = self.reaction

        revoke: dict[str, Any] | None | Unset
        if isinstance(self.revoke, Unset):
            revoke = UNSET
        elif isinstance(self.revoke, Revoke):
            revoke = self.revoke.to_dict()
        else:
            revoke = self.revoke

        revoked_at: None | str | Unset
        if isinstance(self.revoked_at, Unset):
            revoked_at = UNSET
        else:
            revoked_at = self.revoked_at

        text: None | str | Unset
        if isinstance(self.text, Unset):
            text = UNSET
        else:
            text = self.text

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        from_lid: None | str | Unset
        if isinstance(self.from_lid, Unset):
            from_lid = UNSET
        else:
            from_lid = self.from_lid

        from_phone: None | str | Unset
        if isinstance(self.from_phone, Unset):
            from_phone = UNSET
        else:
            from_phone = self.from_phone

        late = self.late

        reply_to: None | str | Unset
        if isinstance(self.reply_to, Unset):
            reply_to = UNSET
        else:
            reply_to = self.reply_to

        send_at: None | str | Unset
        if isinstance(self.send_at, Unset):
            send_at = UNSET
        else:
            send_at = self.send_at

        timestamp: None | str | Unset
        if isinstance(self.timestamp, Unset):
            timestamp = UNSET
        else:
            timestamp = self.timestamp

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "chat": chat,
                "created_at": created_at,
                "from": from_,
                "from_me": from_me,
                "id": id,
                "session_id": session_id,
                "status": status,
                "type": type_,
                "updated_at": updated_at,
                "wa_id": wa_id,
            }
        )
        if caption is not UNSET:
            field_dict["caption"] = caption
        if contact is not UNSET:
            field_dict["contact"] = contact
        if edit is not UNSET:
            field_dict["edit"] = edit
        if edited_at is not UNSET:
            field_dict["edited_at"] = edited_at
        if location is not UNSET:
            field_dict["location"] = location
        if media is not UNSET:
            field_dict["media"] = media
        if mentions is not UNSET:
            field_dict["mentions"] = mentions
        if poll is not UNSET:
            field_dict["poll"] = poll
        if poll_vote is not UNSET:
            field_dict["poll_vote"] = poll_vote
        if quoted is not UNSET:
            field_dict["quoted"] = quoted
        if reaction is not UNSET:
            field_dict["reaction"] = reaction
        if revoke is not UNSET:
            field_dict["revoke"] = revoke
        if revoked_at is not UNSET:
            field_dict["revoked_at"] = revoked_at
        if text is not UNSET:
            field_dict["text"] = text
        if error is not UNSET:
            field_dict["error"] = error
        if from_lid is not UNSET:
            field_dict["from_lid"] = from_lid
        if from_phone is not UNSET:
            field_dict["from_phone"] = from_phone
        if late is not UNSET:
            field_dict["late"] = late
        if reply_to is not UNSET:
            field_dict["reply_to"] = reply_to
        if send_at is not UNSET:
            field_dict["send_at"] = send_at
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.contact_card import ContactCard  # noqa: PLC0415
        from ..models.edit import Edit  # noqa: PLC0415
        from ..models.location import Location  # noqa: PLC0415
        from ..models.media_info import MediaInfo  # noqa: PLC0415
        from ..models.message_ref import MessageRef  # noqa: PLC0415
        from ..models.poll import Poll  # noqa: PLC0415
        from ..models.poll_vote import PollVote  # noqa: PLC0415
        from ..models.reaction import Reaction  # noqa: PLC0415
        from ..models.revoke import Revoke  # noqa: PLC0415

        d = dict(src_dict)
        chat = d.pop("chat")

        created_at = d.pop("created_at")

        from_ = d.pop("from")

        from_me = d.pop("from_me")

        id = d.pop("id")

        session_id = d.pop("session_id")

        status = d.pop("status")

        type_ = d.pop("type")

        updated_at = d.pop("updated_at")

        wa_id = d.pop("wa_id")

        def _parse_caption(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        caption = _parse_caption(d.pop("caption", UNSET))

        def _parse_contact(data: object) -> ContactCard | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                contact_type_1 = ContactCard.from_dict(data)

                return contact_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ContactCard | None | Unset, data)

        contact = _parse_contact(d.pop("contact", UNSET))

        def _parse_edit(data: object) -> Edit | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                edit_type_1 = Edit.from_dict(data)

                return edit_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Edit | None | Unset, data)

        edit = _parse_edit(d.pop("edit", UNSET))

        def _parse_edited_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        edited_at = _parse_edited_at(d.pop("edited_at", UNSET))

        def _parse_location(data: object) -> Location | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                location_type_1 = Location.from_dict(data)

                return location_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Location | None | Unset, data)

        location = _parse_location(d.pop("location", UNSET))

        def _parse_media(data: object) -> MediaInfo | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                media_type_1 = MediaInfo.from_dict(data)

                return media_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MediaInfo | None | Unset, data)

        media = _parse_media(d.pop("media", UNSET))

        mentions = cast(list[str], d.pop("mentions", UNSET))

        def _parse_poll(data: object) -> None | Poll | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                poll_type_1 = Poll.from_dict(data)

                return poll_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Poll | Unset, data)

        poll = _parse_poll(d.pop("poll", UNSET))

        def _parse_poll_vote(data: object) -> None | PollVote | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                poll_vote_type_1 = PollVote.from_dict(data)

                return poll_vote_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PollVote | Unset, data)

        poll_vote = _parse_poll_vote(d.pop("poll_vote", UNSET))

        def _parse_quoted(data: object) -> MessageRef | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                quoted_type_1 = MessageRef.from_dict(data)

                return quoted_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageRef | None | Unset, data)

        quoted = _parse_quoted(d.pop("quoted", UNSET))

        def _parse_reaction(data: object) -> None | Reaction | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                reaction_type_1 = Reaction.from_dict(data)

                return reaction_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Reaction | Unset, data)

        reaction = _parse_reaction(d.pop("reaction", UNSET))

        def _parse_revoke(data: object) -> None | Revoke | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                revoke_type_1 = Revoke.from_dict(data)

                return revoke_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Revoke | Unset, data)

        revoke = _parse_revoke(d.pop("revoke", UNSET))

        def _parse_revoked_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        revoked_at = _parse_revoked_at(d.pop("revoked_at", UNSET))

        def _parse_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        text = _parse_text(d.pop("text", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_from_lid(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        from_lid = _parse_from_lid(d.pop("from_lid", UNSET))

        def _parse_from_phone(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        from_phone = _parse_from_phone(d.pop("from_phone", UNSET))

        late = d.pop("late", UNSET)

        def _parse_reply_to(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reply_to = _parse_reply_to(d.pop("reply_to", UNSET))

        def _parse_send_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        send_at = _parse_send_at(d.pop("send_at", UNSET))

        def _parse_timestamp(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        timestamp = _parse_timestamp(d.pop("timestamp", UNSET))

        message = cls(
            chat=chat,
            created_at=created_at,
            from_=from_,
            from_me=from_me,
            id=id,
            session_id=session_id,
            status=status,
            type_=type_,
            updated_at=updated_at,
            wa_id=wa_id,
            caption=caption,
            contact=contact,
            edit=edit,
            edited_at=edited_at,
            location=location,
            media=media,
            mentions=mentions,
            poll=poll,
            poll_vote=poll_vote,
            quoted=quoted,
            reaction=reaction,
            revoke=revoke,
            revoked_at=revoked_at,
            text=text,
            error=error,
            from_lid=from_lid,
            from_phone=from_phone,
            late=late,
            reply_to=reply_to,
            send_at=send_at,
            timestamp=timestamp,
        )

        message.additional_properties = d
        return message

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
