from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.update_session_config_type_0 import UpdateSessionConfigType0


T = TypeVar("T", bound="UpdateSession")


@_attrs_define
class UpdateSession:
    """
    Attributes:
        config (None | Unset | UpdateSessionConfigType0):
        name (None | str | Unset):
        proxy (None | str | Unset): A new proxy URL, or null to connect directly; a running session restarts to use it.
    """

    config: None | Unset | UpdateSessionConfigType0 = UNSET
    name: None | str | Unset = UNSET
    proxy: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.update_session_config_type_0 import UpdateSessionConfigType0  # noqa: PLC0415

        config: dict[str, Any] | None | Unset
        if isinstance(self.config, Unset):
            config = UNSET
        elif isinstance(self.config, UpdateSessionConfigType0):
            config = self.config.to_dict()
        else:
            config = self.config

        name: None | str | Unset
        if isinstance(self.name, Unset):
            name = UNSET
        else:
            name = self.name

        proxy: None | str | Unset
        if isinstance(self.proxy, Unset):
            proxy = UNSET
        else:
            proxy = self.proxy

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if config is not UNSET:
            field_dict["config"] = config
        if name is not UNSET:
            field_dict["name"] = name
        if proxy is not UNSET:
            field_dict["proxy"] = proxy

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.update_session_config_type_0 import UpdateSessionConfigType0  # noqa: PLC0415

        d = dict(src_dict)

        def _parse_config(data: object) -> None | Unset | UpdateSessionConfigType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                config_type_0 = UpdateSessionConfigType0.from_dict(data)

                return config_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | UpdateSessionConfigType0, data)

        config = _parse_config(d.pop("config", UNSET))

        def _parse_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        name = _parse_name(d.pop("name", UNSET))

        def _parse_proxy(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        proxy = _parse_proxy(d.pop("proxy", UNSET))

        update_session = cls(
            config=config,
            name=name,
            proxy=proxy,
        )

        return update_session
