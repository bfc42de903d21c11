from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.status_file import StatusFile


T = TypeVar("T", bound="NewStatus")


@_attrs_define
class NewStatus:
    """
    Attributes:
        to (list[str]): Who sees it: 1–1000 phone numbers or user JIDs.
        type_ (str): `text`, `image` or `video`.
        background (None | str | Unset): Background of a text status, `#RRGGBB` (default WhatsApp green).
        caption (None | str | Unset):
        image (None | StatusFile | Unset):
        text (None | str | Unset):
        video (None | StatusFile | Unset):
    """

    to: list[str]
    type_: str
    background: None | str | Unset = UNSET
    caption: None | str | Unset = UNSET
    image: None | StatusFile | Unset = UNSET
    text: None | str | Unset = UNSET
    video: None | StatusFile | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.status_file import StatusFile  # noqa: PLC0415

        to = self.to

        type_ = self.type_

        background: None | str | Unset
        if isinstance(self.background, Unset):
            background = UNSET
        else:
            background = self.background

        caption: None | str | Unset
        if isinstance(self.caption, Unset):
            caption = UNSET
        else:
            caption = self.caption

        image: dict[str, Any] | None | Unset
        if isinstance(self.image, Unset):
            image = UNSET
        elif isinstance(self.image, StatusFile):
            image = self.image.to_dict()
        else:
            image = self.image

        text: None | str | Unset
        if isinstance(self.text, Unset):
            text = UNSET
        else:
            text = self.text

        video: dict[str, Any] | None | Unset
        if isinstance(self.video, Unset):
            video = UNSET
        elif isinstance(self.video, StatusFile):
            video = self.video.to_dict()
        else:
            video = self.video

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "to": to,
                "type": type_,
            }
        )
        if background is not UNSET:
            field_dict["background"] = background
        if caption is not UNSET:
            field_dict["caption"] = caption
        if image is not UNSET:
            field_dict["image"] = image
        if text is not UNSET:
            field_dict["text"] = text
        if video is not UNSET:
            field_dict["video"] = video

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.status_file import StatusFile  # noqa: PLC0415

        d = dict(src_dict)
        to = cast(list[str], d.pop("to"))

        type_ = d.pop("type")

        def _parse_background(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        background = _parse_background(d.pop("background", UNSET))

        def _parse_caption(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        caption = _parse_caption(d.pop("caption", UNSET))

        def _parse_image(data: object) -> None | StatusFile | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                image_type_1 = StatusFile.from_dict(data)

                return image_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StatusFile | Unset, data)

        image = _parse_image(d.pop("image", UNSET))

        def _parse_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        text = _parse_text(d.pop("text", UNSET))

        def _parse_video(data: object) -> None | StatusFile | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                video_type_1 = StatusFile.from_dict(data)

                return video_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | StatusFile | Unset, data)

        video = _parse_video(d.pop("video", UNSET))

        new_status = cls(
            to=to,
            type_=type_,
            background=background,
            caption=caption,
            image=image,
            text=text,
            video=video,
        )

        return new_status
