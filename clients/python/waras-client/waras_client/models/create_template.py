from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="CreateTemplate")


@_attrs_define
class CreateTemplate:
    """
    Attributes:
        name (str): Unique within the tenant; a send may name the template by it.
        type_ (str): `text`, or `image`, `video` or `document` (a template of their caption; the send brings
            the file).
        caption (None | str | Unset): A media template's caption, with placeholders as in `text`.
        text (None | str | Unset): A text template: `Hi {{first_name}}`, `{{name|default}}` for a default.
    """

    name: str
    type_: str
    caption: None | str | Unset = UNSET
    text: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        name = self.name

        type_ = self.type_

        caption: None | str | Unset
        if isinstance(self.caption, Unset):
            caption = UNSET
        else:
            caption = self.caption

        text: None | str | Unset
        if isinstance(self.text, Unset):
            text = UNSET
        else:
            text = self.text

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "type": type_,
            }
        )
        if caption is not UNSET:
            field_dict["caption"] = caption
        if text is not UNSET:
            field_dict["text"] = text

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        name = d.pop("name")

        type_ = d.pop("type")

        def _parse_caption(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        caption = _parse_caption(d.pop("caption", UNSET))

        def _parse_text(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        text = _parse_text(d.pop("text", UNSET))

        create_template = cls(
            name=name,
            type_=type_,
            caption=caption,
            text=text,
        )

        return create_template
