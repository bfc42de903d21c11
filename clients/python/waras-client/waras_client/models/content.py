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


T = TypeVar("T", bound="Content")


@_attrs_define
class Content:
    """
    Attributes:
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
    """

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

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
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

        content = cls(
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
        )

        content.additional_properties = d
        return content

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
