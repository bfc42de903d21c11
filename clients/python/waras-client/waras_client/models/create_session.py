from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.create_session_config_type_0 import CreateSessionConfigType0


T = TypeVar("T", bound="CreateSession")


@_attrs_define
class CreateSession:
    """
    Attributes:
        name (str): 1–100 characters, unique within the tenant; not all blank, no control characters.
        config (CreateSessionConfigType0 | None | Unset): Free-form settings object kept with the session.
        proxy (None | str | Unset): `socks5://[user:password@]host:port` or `http://[user:password@]host:port` (an HTTP
            CONNECT proxy): the session's WhatsApp connection and media go through it.
        start (bool | None | Unset): Start at once (default true).
    """

    name: str
    config: CreateSessionConfigType0 | None | Unset = UNSET
    proxy: None | str | Unset = UNSET
    start: bool | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.create_session_config_type_0 import CreateSessionConfigType0  # noqa: PLC0415

        name = self.name

        config: dict[str, Any] | None | Unset
        if isinstance(self.config, Unset):
            config = UNSET
        elif isinstance(self.config, CreateSessionConfigType0):
            config = self.config.to_dict()
        else:
            config = self.config

        proxy: None | str | Unset
        if isinstance(self.proxy, Unset):
            proxy = UNSET
        else:
            proxy = self.proxy

        start: bool | None | Unset
        if isinstance(self.start, Unset):
            start = UNSET
        else:
            start = self.start

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if config is not UNSET:
            field_dict["config"] = config
        if proxy is not UNSET:
            field_dict["proxy"] = proxy
        if start is not UNSET:
            field_dict["start"] = start

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.create_session_config_type_0 import CreateSessionConfigType0  # noqa: PLC0415

        d = dict(src_dict)
        name = d.pop("name")

        def _parse_config(data: object) -> CreateSessionConfigType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                config_type_0 = CreateSessionConfigType0.from_dict(data)

                return config_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(CreateSessionConfigType0 | None | Unset, data)

        config = _parse_config(d.pop("config", UNSET))

        def _parse_proxy(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        proxy = _parse_proxy(d.pop("proxy", UNSET))

        def _parse_start(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        start = _parse_start(d.pop("start", UNSET))

        create_session = cls(
            name=name,
            config=config,
            proxy=proxy,
            start=start,
        )

        return create_session
