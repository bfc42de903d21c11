from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rule_action import RuleAction
    from ..models.rule_match import RuleMatch


T = TypeVar("T", bound="Rule")


@_attrs_define
class Rule:
    """
    Attributes:
        action (RuleAction): What a matching rule does: reply (a text or a template), forward the message to another
            chat, raise a `rule.matched` event for `webhook_url`, or any of these together.
        cooldown_secs (int):
        created_at (str):
        enabled (bool):
        id (str):
        match (RuleMatch): What an incoming message must be for a rule to act; every given field must hold.
        name (str):
        position (int):
        stop (bool):
        updated_at (str):
        session_id (None | str | Unset):
        webhook_secret (None | str | Unset): The secret of the webhook that calls `action.webhook_url`: only in the
            answer that set
            the URL.
    """

    action: RuleAction
    cooldown_secs: int
    created_at: str
    enabled: bool
    id: str
    match: RuleMatch
    name: str
    position: int
    stop: bool
    updated_at: str
    session_id: None | str | Unset = UNSET
    webhook_secret: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        action = self.action.to_dict()

        cooldown_secs = self.cooldown_secs

        created_at = self.created_at

        enabled = self.enabled

        id = self.id

        match = self.match.to_dict()

        name = self.name

        position = self.position

        stop = self.stop

        updated_at = self.updated_at

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        webhook_secret: None | str | Unset
        if isinstance(self.webhook_secret, Unset):
            webhook_secret = UNSET
        else:
            webhook_secret = self.webhook_secret

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "action": action,
                "cooldown_secs": cooldown_secs,
                "created_at": created_at,
                "enabled": enabled,
                "id": id,
                "match": match,
                "name": name,
                "position": position,
                "stop": stop,
                "updated_at": updated_at,
            }
        )
        if session_id is not UNSET:
            field_dict["session_id"] = session_id
        if webhook_secret is not UNSET:
            field_dict["webhook_secret"] = webhook_secret

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rule_action import RuleAction  # noqa: PLC0415
        from ..models.rule_match import RuleMatch  # noqa: PLC0415

        d = dict(src_dict)
        action = RuleAction.from_dict(d.pop("action"))

        cooldown_secs = d.pop("cooldown_secs")

        created_at = d.pop("created_at")

        enabled = d.pop("enabled")

        id = d.pop("id")

        match = RuleMatch.from_dict(d.pop("match"))

        name = d.pop("name")

        position = d.pop("position")

        stop = d.pop("stop")

        updated_at = d.pop("updated_at")

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        def _parse_webhook_secret(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        webhook_secret = _parse_webhook_secret(d.pop("webhook_secret", UNSET))

        rule = cls(
            action=action,
            cooldown_secs=cooldown_secs,
            created_at=created_at,
            enabled=enabled,
            id=id,
            match=match,
            name=name,
            position=position,
            stop=stop,
            updated_at=updated_at,
            session_id=session_id,
            webhook_secret=webhook_secret,
        )

        rule.additional_properties = d
        return rule

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
