from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rule_action import RuleAction
    from ..models.rule_match import RuleMatch


T = TypeVar("T", bound="CreateRule")


@_attrs_define
class CreateRule:
    """
    Attributes:
        action (RuleAction): What a matching rule does: reply (a text or a template), forward the message to another
            chat, raise a `rule.matched` event for `webhook_url`, or any of these together.
        match (RuleMatch): What an incoming message must be for a rule to act; every given field must hold.
        name (str):
        cooldown_secs (int | None | Unset): A chat is answered by this rule at most once in this many seconds (0 to
            604800, default 0).
        enabled (bool | None | Unset): Default true.
        position (int | None | Unset): Lower runs first (default: after the tenant's last rule).
        session_id (None | str | Unset): Only this session's messages (default: every session of the tenant).
        stop (bool | None | Unset): No further rules run after this one matched (default false).
    """

    action: RuleAction
    match: RuleMatch
    name: str
    cooldown_secs: int | None | Unset = UNSET
    enabled: bool | None | Unset = UNSET
    position: int | None | Unset = UNSET
    session_id: None | str | Unset = UNSET
    stop: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        action = self.action.to_dict()

        match = self.match.to_dict()

        name = self.name

        cooldown_secs: int | None | Unset
        if isinstance(self.cooldown_secs, Unset):
            cooldown_secs = UNSET
        else:
            cooldown_secs = self.cooldown_secs

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        position: int | None | Unset
        if isinstance(self.position, Unset):
            position = UNSET
        else:
            position = self.position

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        stop: bool | None | Unset
        if isinstance(self.stop, Unset):
            stop = UNSET
        else:
            stop = self.stop

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "action": action,
                "match": match,
                "name": name,
            }
        )
        if cooldown_secs is not UNSET:
            field_dict["cooldown_secs"] = cooldown_secs
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if position is not UNSET:
            field_dict["position"] = position
        if session_id is not UNSET:
            field_dict["session_id"] = session_id
        if stop is not UNSET:
            field_dict["stop"] = stop

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rule_action import RuleAction  # noqa: PLC0415
        from ..models.rule_match import RuleMatch  # noqa: PLC0415

        d = dict(src_dict)
        action = RuleAction.from_dict(d.pop("action"))

        match = RuleMatch.from_dict(d.pop("match"))

        name = d.pop("name")

        def _parse_cooldown_secs(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        cooldown_secs = _parse_cooldown_secs(d.pop("cooldown_secs", UNSET))

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        def _parse_position(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        position = _parse_position(d.pop("position", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        def _parse_stop(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        stop = _parse_stop(d.pop("stop", UNSET))

        create_rule = cls(
            action=action,
            match=match,
            name=name,
            cooldown_secs=cooldown_secs,
            enabled=enabled,
            position=position,
            session_id=session_id,
            stop=stop,
        )

        return create_rule
