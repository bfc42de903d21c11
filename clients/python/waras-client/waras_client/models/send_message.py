from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.message_kind import MessageKind
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.contact_input import ContactInput
    from ..models.edit_input import EditInput
    from ..models.location_input import LocationInput
    from ..models.media_input import MediaInput
    from ..models.poll_input import PollInput
    from ..models.reaction_input import ReactionInput
    from ..models.revoke_input import RevokeInput
    from ..models.send_message_variables_type_0 import SendMessageVariablesType0


T = TypeVar("T", bound="SendMessage")


@_attrs_define
class SendMessage:
    """
    Attributes:
        to (str): A phone number in international form (+4915…), a user JID or a group JID (`…@g.us`).
        audio (MediaInput | None | Unset):
        caption (None | str | Unset): The caption of an image, video or document.
        contact (ContactInput | None | Unset):
        document (MediaInput | None | Unset):
        edit (EditInput | None | Unset):
        image (MediaInput | None | Unset):
        location (LocationInput | None | Unset):
        mentions (list[str] | None | Unset): Phone numbers or JIDs mentioned in the text or caption.
        poll (None | PollInput | Unset):
        reaction (None | ReactionInput | Unset):
        reply_to (None | str | Unset): WARAS id of a message in this session to reply to.
        revoke (None | RevokeInput | Unset):
        send_at (datetime.datetime | None | Unset): Send at this time (RFC 3339, at most a year ahead) instead of now:
            the answer says
            `scheduled`. A time already past sends now.
        sticker (MediaInput | None | Unset):
        template (None | str | Unset): A template of the tenant (its id or name) that gives this send its type and its
            text or
            caption; a media template's send brings the file.
        text (None | str | Unset):
        type_ (MessageKind | None | Unset):
        variables (None | SendMessageVariablesType0 | Unset): Values for the template's variables (`{"first_name":
            "Ana"}`).
        video (MediaInput | None | Unset):
    """

    to: str
    audio: MediaInput | None | Unset = UNSET
    caption: None | str | Unset = UNSET
    contact: ContactInput | None | Unset = UNSET
    document: MediaInput | None | Unset = UNSET
    edit: EditInput | None | Unset = UNSET
    image: MediaInput | None | Unset = UNSET
    location: LocationInput | None | Unset = UNSET
    mentions: list[str] | None | Unset = UNSET
    poll: None | PollInput | Unset = UNSET
    reaction: None | ReactionInput | Unset = UNSET
    reply_to: None | str | Unset = UNSET
    revoke: None | RevokeInput | Unset = UNSET
    send_at: datetime.datetime | None | Unset = UNSET
    sticker: MediaInput | None | Unset = UNSET
    template: None | str | Unset = UNSET
    text: None | str | Unset = UNSET
    type_: MessageKind | None | Unset = UNSET
    variables: None | SendMessageVariablesType0 | Unset = UNSET
    video: MediaInput | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.contact_input import ContactInput  # noqa: PLC0415
        from ..models.edit_input import EditInput  # noqa: PLC0415
        from ..models.location_input import LocationInput  # noqa: PLC0415
        from ..models.media_input import MediaInput  # noqa: PLC0415
        from ..models.poll_input import PollInput  # noqa: PLC0415
        from ..models.reaction_input import ReactionInput  # noqa: PLC0415
        from ..models.revoke_input import RevokeInput  # noqa: PLC0415
        from ..models.send_message_variables_type_0 import SendMessageVariablesType0  # noqa: PLC0415

        to = self.to

        audio: dict[str, Any] | None | Unset
        if isinstance(self.audio, Unset):
            audio = UNSET
        elif isinstance(self.audio, MediaInput):
            audio = self.audio.to_dict()
        else:
            audio = self.audio

        caption: None | str | Unset
        if isinstance(self.caption, Unset):
            caption = UNSET
        else:
            caption = self.caption

        contact: dict[str, Any] | None | Unset
        if isinstance(self.contact, Unset):
            contact = UNSET
        elif isinstance(self.contact, ContactInput):
            contact = self.contact.to_dict()
        else:
            contact = self.contact

        document: dict[str, Any] | None | Unset
        if isinstance(self.document, Unset):
            document = UNSET
        elif isinstance(self.document, MediaInput):
            document = self.document.to_dict()
        else:
            document = self.document

        edit: dict[str, Any] | None | Unset
        if isinstance(self.edit, Unset):
            edit = UNSET
        elif isinstance(self.edit, EditInput):
            edit = self.edit.to_dict()
        else:
            edit = self.edit

        image: dict[str, Any] | None | Unset
        if isinstance(self.image, Unset):
            image = UNSET
        elif isinstance(self.image, MediaInput):
            image = self.image.to_dict()
        else:
            image = self.image

        location: dict[str, Any] | None | Unset
        if isinstance(self.location, Unset):
            location = UNSET
        elif isinstance(self.location, LocationInput):
            location = self.location.to_dict()
        else:
            location = self.location

        mentions: list[str] | None | Unset
        if isinstance(self.mentions, Unset):
            mentions = UNSET
        elif isinstance(self.mentions, list):
            mentions = self.mentions

        else:
            mentions = self.mentions

        poll: dict[str, Any] | None | Unset
        if isinstance(self.poll, Unset):
            poll = UNSET
        elif isinstance(self.poll, PollInput):
            poll = self.poll.to_dict()
        else:
            poll = self.poll

        reaction: dict[str, Any] | None | Unset
        if isinstance(self.reaction, Unset):
            reaction = UNSET
        elif isinstance(self.reaction, ReactionInput):
            reaction = self.reaction.to_dict()
        else:
            reaction = self.reaction

        reply_to: None | str | Unset
        if isinstance(self.reply_to, Unset):
            reply_to = UNSET
        else:
            reply_to = self.reply_to

        revoke: dict[str, Any] | None | Unset
        if isinstance(self.revoke, Unset):
            revoke = UNSET
        elif isinstance(self.revoke, RevokeInput):
            revoke = self.revoke.to_dict()
        else:
            revoke = self.revoke

        send_at: None | str | Unset
        if isinstance(self.send_at, Unset):
            send_at = UNSET
        elif isinstance(self.send_at, datetime.datetime):
            send_at = self.send_at.isoformat()
        else:
            send_at = self.send_at

        sticker: dict[str, Any] | None | Unset
        if isinstance(self.sticker, Unset):
            sticker = UNSET
        elif isinstance(self.sticker, MediaInput):
            sticker = self.sticker.to_dict()
        else:
            sticker = self.sticker

        template: None | str | Unset
        if isinstance(self.template, Unset):
            template = UNSET
        else:
            template = self.template

        text: None | str | Unset
        if isinstance(self.text, Unset):
            text = UNSET
        else:
            text = self.text

        type_: None | str | Unset
        if isinstance(self.type_, Unset):
            type_ = UNSET
        elif isinstance(self.type_, MessageKind):
            type_ = self.type_.value
        else:
            type_ = self.type_

        variables: dict[str, Any] | None | Unset
        if isinstance(self.variables, Unset):
            variables = UNSET
        elif isinstance(self.variables, SendMessageVariablesType0):
            variables = self.variables.to_dict()
        else:
            variables = self.variables

        video: dict[str, Any] | None | Unset
        if isinstance(self.video, Unset):
            video = UNSET
        elif isinstance(self.video, MediaInput):
            video = self.video.to_dict()
        else:
            video = self.video

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "to": to,
            }
        )
        if audio is not UNSET:
            field_dict["audio"] = audio
        if caption is not UNSET:
            field_dict["caption"] = caption
        if contact is not UNSET:
            field_dict["contact"] = contact
        if document is not UNSET:
            field_dict["document"] = document
        if edit is not UNSET:
            field_dict["edit"] = edit
        if image is not UNSET:
            field_dict["image"] = image
        if location is not UNSET:
            field_dict["location"] = location
        if mentions is not UNSET:
            field_dict["mentions"] = mentions
        if poll is not UNSET:
            field_dict["poll"] = poll
        if reaction is not UNSET:
            field_dict["reaction"] = reaction
        if reply_to is not UNSET:
            field_dict["reply_to"] = reply_to
        if revoke is not UNSET:
            field_dict["revoke"] = revoke
        if send_at is not UNSET:
            field_dict["send_at"] = send_at
        if sticker is not UNSET:
            field_dict["sticker"] = sticker
        if template is not UNSET:
            field_dict["template"] = template
        if text is not UNSET:
            field_dict["text"] = text
        if type_ is not UNSET:
            field_dict["type"] = type_
        if variables is not UNSET:
            field_dict["variables"] = variables
        if video is not UNSET:
            field_dict["video"] = video

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.contact_input import ContactInput  # noqa: PLC0415
        from ..models.edit_input import EditInput  # noqa: PLC0415
        from ..models.location_input import LocationInput  # noqa: PLC0415
        from ..models.media_input import MediaInput  # noqa: PLC0415
        from ..models.poll_input import PollInput  # noqa: PLC0415
        from ..models.reaction_input import ReactionInput  # noqa: PLC0415
        from ..models.revoke_input import RevokeInput  # noqa: PLC0415
        from ..models.send_message_variables_type_0 import SendMessageVariablesType0  # noqa: PLC0415

        d = dict(src_dict)
        to = d.pop("to")

        def _parse_audio(data: object) -> MediaInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                audio_type_1 = MediaInput.from_dict(data)

                return audio_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MediaInput | None | Unset, data)

        audio = _parse_audio(d.pop("audio", UNSET))

        def _parse_caption(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        caption = _parse_caption(d.pop("caption", UNSET))

        def _parse_contact(data: object) -> ContactInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                contact_type_1 = ContactInput.from_dict(data)

                return contact_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ContactInput | None | Unset, data)

        contact = _parse_contact(d.pop("contact", UNSET))

        def _parse_document(data: object) -> MediaInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                document_type_1 = MediaInput.from_dict(data)

                return document_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MediaInput | None | Unset, data)

        document = _parse_document(d.pop("document", UNSET))

        def _parse_edit(data: object) -> EditInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                edit_type_1 = EditInput.from_dict(data)

                return edit_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EditInput | None | Unset, data)

        edit = _parse_edit(d.pop("edit", UNSET))

        def _parse_image(data: object) -> MediaInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                image_type_1 = MediaInput.from_dict(data)

                return image_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MediaInput | None | Unset, data)

        image = _parse_image(d.pop("image", UNSET))

        def _parse_location(data: object) -> LocationInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                location_type_1 = LocationInput.from_dict(data)

                return location_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LocationInput | None | Unset, data)

        location = _parse_location(d.pop("location", UNSET))

        def _parse_mentions(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                mentions_type_0 = cast(list[str], data)

                return mentions_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        mentions = _parse_mentions(d.pop("mentions", UNSET))

        def _parse_poll(data: object) -> None | PollInput | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                poll_type_1 = PollInput.from_dict(data)

                return poll_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | PollInput | Unset, data)

        poll = _parse_poll(d.pop("poll", UNSET))

        def _parse_reaction(data: object) -> None | ReactionInput | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                reaction_type_1 = ReactionInput.from_dict(data)

                return reaction_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | ReactionInput | Unset, data)

        reaction = _parse_reaction(d.pop("reaction", UNSET))

        def _parse_reply_to(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reply_to = _parse_reply_to(d.pop("reply_to", UNSET))

        def _parse_revoke(data: object) -> None | RevokeInput | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                revoke_type_1 = RevokeInput.from_dict(data)

                return revoke_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RevokeInput | Unset, data)

        revoke = _parse_revoke(d.pop("revoke", UNSET))

        def _parse_send_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                send_at_type_0 = datetime.datetime.fromisoformat(data)

                return send_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        send_at = _parse_send_at(d.pop("send_at", UNSET))

        def _parse_sticker(data: object) -> MediaInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                sticker_type_1 = MediaInput.from_dict(data)

                return sticker_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MediaInput | None | Unset, data)

        sticker = _parse_sticker(d.pop("sticker", UNSET))

        def _parse_template(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        template = _parse_template(d.pop("template", UNSET))

        def _parse_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        text = _parse_text(d.pop("text", UNSET))

        def _parse_type_(data: object) -> MessageKind | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                type_type_1 = MessageKind(data)

                return type_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MessageKind | None | Unset, data)

        type_ = _parse_type_(d.pop("type", UNSET))

        def _parse_variables(data: object) -> None | SendMessageVariablesType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                variables_type_0 = SendMessageVariablesType0.from_dict(data)

                return variables_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SendMessageVariablesType0 | Unset, data)

        variables = _parse_variables(d.pop("variables", UNSET))

        def _parse_video(data: object) -> MediaInput | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                video_type_1 = MediaInput.from_dict(data)

                return video_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(MediaInput | None | Unset, data)

        video = _parse_video(d.pop("video", UNSET))

        send_message = cls(
            to=to,
            audio=audio,
            caption=caption,
            contact=contact,
            document=document,
            edit=edit,
            image=image,
            location=location,
            mentions=mentions,
            poll=poll,
            reaction=reaction,
            reply_to=reply_to,
            revoke=revoke,
            send_at=send_at,
            sticker=sticker,
            template=template,
            text=text,
            type_=type_,
            variables=variables,
            video=video,
        )

        return send_message
