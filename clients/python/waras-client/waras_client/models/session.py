from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.me import Me
    from ..models.session_config import SessionConfig


T = TypeVar("T", bound="Session")


@_attrs_define
class Session:
    """
    Attributes:
        config (SessionConfig):
        created_at (str):
        desired_state (str): `running` or `stopped`: what the service restores at boot.
        id (str):
        name (str):
        status (str): STOPPED, STARTING, SCAN_QR, PAIR_CODE, WORKING, RECONNECTING, LOGGED_OUT or FAILED.
        updated_at (str):
        instance (None | str | Unset): The instance that runs the session now (its owner), or null when none does.
        me (Me | None | Unset):
        proxy (None | str | Unset): The proxy the session connects through, with its password shown as `***`.
        status_reason (None | str | Unset):
    """

    config: SessionConfig
    created_at: str
    desired_state: str
    id: str
    name: str
    status: str
    updated_at: str
    instance: None | str | Unset = UNSET
    me: Me | None | Unset = UNSET
    proxy: None | str | Unset = UNSET
    status_reason: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.me import Me  # noqa: PLC0415

        config = self.config.to_dict()

        created_at = self.created_at

        desired_state = self.desired_state

        id = self.id

        name = self.name

        status = self.status

        updated_at = self.updated_at

        instance: None | str | Unset
        if isinstance(self.instance, Unset):
            instance = UNSET
        else:
            instance = self.instance

        me: dict[str, Any] | None | Unset
        if isinstance(self.me, Unset):
            me = UNSET
        elif isinstance(self.me, Me):
            me = self.me.to_dict()
        else:
            me = self.me

        proxy: None | str | Unset
        if isinstance(self.proxy, Unset):
            proxy = UNSET
        else:
            proxy = self.proxy

        status_reason: None | str | Unset
        if isinstance(self.status_reason, Unset):
            status_reason = UNSET
        else:
            status_reason = self.status_reason

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "config": config,
                "created_at": created_at,
                "desired_state": desired_state,
                "id": id,
                "name": name,
                "status": status,
                "updated_at": updated_at,
            }
        )
        if instance is not UNSET:
            field_dict["instance"] = instance
        if me is not UNSET:
            field_dict["me"] = me
        if proxy is not UNSET:
            field_dict["proxy"] = proxy
        if status_reason is not UNSET:
            field_dict["status_reason"] = status_reason

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.me import Me  # noqa: PLC0415
        from ..models.session_config import SessionConfig  # noqa: PLC0415

        d = dict(src_dict)
        config = SessionConfig.from_dict(d.pop("config"))

        created_at = d.pop("created_at")

        desired_state = d.pop("desired_state")

        id = d.pop("id")

        name = d.pop("name")

        status = d.pop("status")

        updated_at = d.pop("updated_at")

        def _parse_instance(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        instance = _parse_instance(d.pop("instance", UNSET))

        def _parse_me(data: object) -> Me | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                me_type_1 = Me.from_dict(data)

                return me_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Me | None | Unset, data)

        me = _parse_me(d.pop("me", UNSET))

        def _parse_proxy(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        proxy = _parse_proxy(d.pop("proxy", UNSET))

        def _parse_status_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        status_reason = _parse_status_reason(d.pop("status_reason", UNSET))

        session = cls(
            config=config,
            created_at=created_at,
            desired_state=desired_state,
            id=id,
            name=name,
            status=status,
            updated_at=updated_at,
            instance=instance,
            me=me,
            proxy=proxy,
            status_reason=status_reason,
        )

        session.additional_properties = d
        return session

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
