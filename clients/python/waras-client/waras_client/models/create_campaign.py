from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_campaign_message_type_0 import CreateCampaignMessageType0
    from ..models.pacing import Pacing
    from ..models.recipient_input import RecipientInput


T = TypeVar("T", bound="CreateCampaign")


@_attrs_define
class CreateCampaign:
    """
    Attributes:
        name (str):
        pacing (Pacing): How fast each session of a campaign sends.
        session_ids (list[str]): The sessions that send, each at the pace of `pacing` (1 to 50).
        message (CreateCampaignMessageType0 | None | Unset): The message: a send body without `to` (`text`, `location`
            or `contact`); a text may use
            `{{variables}}` of the recipients. Give this or `template`.
        recipients (list[RecipientInput] | None | Unset): 1 to 100,000 recipients; a number given twice gets one
            message. With
            `multipart/form-data`, a CSV file part instead.
        skip_unregistered (bool | None | Unset): Look each number up first and skip those not on WhatsApp.
        start (bool | None | Unset): Start at once (default), or stay a `draft` until `resume`.
        template (None | str | Unset): A text template of the tenant (id or name), filled per recipient.
    """

    name: str
    pacing: Pacing
    session_ids: list[str]
    message: CreateCampaignMessageType0 | None | Unset = UNSET
    recipients: list[RecipientInput] | None | Unset = UNSET
    skip_unregistered: bool | None | Unset = UNSET
    start: bool | None | Unset = UNSET
    template: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_campaign_message_type_0 import CreateCampaignMessageType0  # noqa: PLC0415

        name = self.name

        pacing = self.pacing.to_dict()

        session_ids = self.session_ids

        message: dict[str, Any] | None | Unset
        if isinstance(self.message, Unset):
            message = UNSET
        elif isinstance(self.message, CreateCampaignMessageType0):
            message = self.message.to_dict()
        else:
            message = self.message

        recipients: list[dict[str, Any]] | None | Unset
        if isinstance(self.recipients, Unset):
            recipients = UNSET
        elif isinstance(self.recipients, list):
            recipients = []
            for recipients_type_0_item_data in self.recipients:
                recipients_type_0_item = recipients_type_0_item_data.to_dict()
                recipients.append(recipients_type_0_item)

        else:
            recipients = self.recipients

        skip_unregistered: bool | None | Unset
        if isinstance(self.skip_unregistered, Unset):
            skip_unregistered = UNSET
        else:
            skip_unregistered = self.skip_unregistered

        start: bool | None | Unset
        if isinstance(self.start, Unset):
            start = UNSET
        else:
            start = self.start

        template: None | str | Unset
        if isinstance(self.template, Unset):
            template = UNSET
        else:
            template = self.template

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
                "pacing": pacing,
                "session_ids": session_ids,
            }
        )
        if message is not UNSET:
            field_dict["message"] = message
        if recipients is not UNSET:
            field_dict["recipients"] = recipients
        if skip_unregistered is not UNSET:
            field_dict["skip_unregistered"] = skip_unregistered
        if start is not UNSET:
            field_dict["start"] = start
        if template is not UNSET:
            field_dict["template"] = template

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_campaign_message_type_0 import CreateCampaignMessageType0  # noqa: PLC0415
        from ..models.pacing import Pacing  # noqa: PLC0415
        from ..models.recipient_input import RecipientInput  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        pacing = Pacing.from_dict(d.pop("pacing"))

        session_ids = cast(list[str], d.pop("session_ids"))

        def _parse_message(data: object) -> CreateCampaignMessageType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                message_type_0 = CreateCampaignMessageType0.from_dict(data)

                return message_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateCampaignMessageType0 | None | Unset, data)

        message = _parse_message(d.pop("message", UNSET))

        def _parse_recipients(data: object) -> list[RecipientInput] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                recipients_type_0 = []
                _recipients_type_0 = data
                for recipients_type_0_item_data in _recipients_type_0:
                    recipients_type_0_item = RecipientInput.from_dict(recipients_type_0_item_data)

                    recipients_type_0.append(recipients_type_0_item)

                return recipients_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[RecipientInput] | None | Unset, data)

        recipients = _parse_recipients(d.pop("recipients", UNSET))

        def _parse_skip_unregistered(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        skip_unregistered = _parse_skip_unregistered(d.pop("skip_unregistered", UNSET))

        def _parse_start(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        start = _parse_start(d.pop("start", UNSET))

        def _parse_template(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        template = _parse_template(d.pop("template", UNSET))

        create_campaign = cls(
            name=name,
            pacing=pacing,
            session_ids=session_ids,
            message=message,
            recipients=recipients,
            skip_unregistered=skip_unregistered,
            start=start,
            template=template,
        )

        return create_campaign
