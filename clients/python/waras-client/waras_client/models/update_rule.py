from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.rule_action import RuleAction
    from ..models.rule_match import RuleMatch


T = TypeVar("T", bound="UpdateRule")


@_attrs_define
class UpdateRule:
    """
    Attributes:
        action (None | RuleAction | Unset):
        cooldown_secs (int | None | Unset):
        enabled (bool | None | Unset):
        match (None | RuleMatch | Unset):
        name (None | str | Unset):
        position (int | None | Unset):
        session_id (None | str | Unset): A session id, or null for every session of the tenant.
        stop (bool | None | Unset):
    """

    action: None | RuleAction | Unset = UNSET
    cooldown_secs: int | None | Unset = UNSET
    enabled: bool | None | Unset = UNSET
    match: None | RuleMatch | Unset = UNSET
    name: None | str | Unset = UNSET
    position: int | None | Unset = UNSET
    session_id: None | str | Unset = UNSET
    stop: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.rule_action import RuleAction  # noqa: PLC0415
        from ..models.rule_match import RuleMatch  # noqa: PLC0415

        action: dict[str, Any] | None | Unset
        if isinstance(self.action, Unset):
            action = UNSET
        elif isinstance(self.action, RuleAction):
            action = self.action.to_dict()
        else:
            action = self.action

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

        match: dict[str, Any] | None | Unset
        if isinstance(self.match, Unset):
            match = UNSET
        elif isinstance(self.match, RuleMatch):
            match = self.match.to_dict()
        else:
            match = self.match

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

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

        field_dict.update({})
        if action is not UNSET:
            field_dict["action"] = action
        if cooldown_secs is not UNSET:
            field_dict["cooldown_secs"] = cooldown_secs
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if match is not UNSET:
            field_dict["match"] = match
        if name is not UNSET:
            field_dict["name"] = name
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

        def _parse_action(data: object) -> None | RuleAction | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                action_type_1 = RuleAction.from_dict(data)

                return action_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RuleAction | Unset, data)

        action = _parse_action(d.pop("action", UNSET))

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

        def _parse_match(data: object) -> None | RuleMatch | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                match_type_1 = RuleMatch.from_dict(data)

                return match_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RuleMatch | Unset, data)

        match = _parse_match(d.pop("match", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

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

        update_rule = cls(
            action=action,
            cooldown_secs=cooldown_secs,
            enabled=enabled,
            match=match,
            name=name,
            position=position,
            session_id=session_id,
            stop=stop,
        )

        return update_rule
