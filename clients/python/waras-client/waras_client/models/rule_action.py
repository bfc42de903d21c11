from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rule_action_variables_type_0 import RuleActionVariablesType0


T = TypeVar("T", bound="RuleAction")


@_attrs_define
class RuleAction:
    """What a matching rule does: reply (a text or a template), forward the message to another
    chat, raise a `rule.matched` event for `webhook_url`, or any of these together.

        Attributes:
            forward_to (None | str | Unset): Forward the message's text to this chat (a phone number or a JID).
            reply (None | str | Unset): Answer with this text (it may use `{{name}}` and `{{phone}}` of the sender).
            template (None | str | Unset): Answer with a text template of the tenant (id or name).
            variables (None | RuleActionVariablesType0 | Unset): Values for the template's variables (`name` and `phone` of
                the sender are given).
            webhook_id (None | str | Unset): The webhook that calls `webhook_url` (set by WARAS).
            webhook_url (None | str | Unset): POST each match (`rule.matched`), signed like every webhook, to this URL:
                WARAS keeps a
                webhook for it (`webhook_id`; its secret is in the answer that set the URL).
    """

    forward_to: None | str | Unset = UNSET
    reply: None | str | Unset = UNSET
    template: None | str | Unset = UNSET
    variables: None | RuleActionVariablesType0 | Unset = UNSET
    webhook_id: None | str | Unset = UNSET
    webhook_url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.rule_action_variables_type_0 import RuleActionVariablesType0  # noqa: PLC0415

        forward_to: None | str | Unset
        if isinstance(self.forward_to, Unset):
            forward_to = UNSET
        else:
            forward_to = self.forward_to

        reply: None | str | Unset
        if isinstance(self.reply, Unset):
            reply = UNSET
        else:
            reply = self.reply

        template: None | str | Unset
        if isinstance(self.template, Unset):
            template = UNSET
        else:
            template = self.template

        variables: dict[str, Any] | None | Unset
        if isinstance(self.variables, Unset):
            variables = UNSET
        elif isinstance(self.variables, RuleActionVariablesType0):
            variables = self.variables.to_dict()
        else:
            variables = self.variables

        webhook_id: None | str | Unset
        if isinstance(self.webhook_id, Unset):
            webhook_id = UNSET
        else:
            webhook_id = self.webhook_id

        webhook_url: None | str | Unset
        if isinstance(self.webhook_url, Unset):
            webhook_url = UNSET
        else:
            webhook_url = self.webhook_url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if forward_to is not UNSET:
            field_dict["forward_to"] = forward_to
        if reply is not UNSET:
            field_dict["reply"] = reply
        if template is not UNSET:
            field_dict["template"] = template
        if variables is not UNSET:
            field_dict["variables"] = variables
        if webhook_id is not UNSET:
            field_dict["webhook_id"] = webhook_id
        if webhook_url is not UNSET:
            field_dict["webhook_url"] = webhook_url

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rule_action_variables_type_0 import RuleActionVariablesType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_forward_to(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        forward_to = _parse_forward_to(d.pop("forward_to", UNSET))

        def _parse_reply(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        reply = _parse_reply(d.pop("reply", UNSET))

        def _parse_template(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        template = _parse_template(d.pop("template", UNSET))

        def _parse_variables(data: object) -> None | RuleActionVariablesType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                variables_type_0 = RuleActionVariablesType0.from_dict(data)

                return variables_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RuleActionVariablesType0 | Unset, data)

        variables = _parse_variables(d.pop("variables", UNSET))

        def _parse_webhook_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_id = _parse_webhook_id(d.pop("webhook_id", UNSET))

        def _parse_webhook_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_url = _parse_webhook_url(d.pop("webhook_url", UNSET))

        rule_action = cls(
            forward_to=forward_to,
            reply=reply,
            template=template,
            variables=variables,
            webhook_id=webhook_id,
            webhook_url=webhook_url,
        )

        return rule_action
