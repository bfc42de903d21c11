from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.envelope_data import EnvelopeData


T = TypeVar("T", bound="Envelope")


@_attrs_define
class Envelope:
    """The one envelope of every event, on every channel (API, webhooks, WebSocket).

    Attributes:
        created_at (str):
        data (EnvelopeData):
        id (str): Decimal; increases in commit order.
        tenant_id (str):
        type_ (str):
        session_id (None | str | Unset):
    """

    created_at: str
    data: EnvelopeData
    id: str
    tenant_id: str
    type_: str
    session_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        data = self.data.to_dict()

        id = self.id

        tenant_id = self.tenant_id

        type_ = self.type_

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "data": data,
                "id": id,
                "tenant_id": tenant_id,
                "type": type_,
            }
        )
        if session_id is not UNSET:
            field_dict["session_id"] = session_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.envelope_data import EnvelopeData  # noqa: PLC0415

        d = dict(src_dict)
        created_at = d.pop("created_at")

        data = EnvelopeData.from_dict(d.pop("data"))

        id = d.pop("id")

        tenant_id = d.pop("tenant_id")

        type_ = d.pop("type")

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        envelope = cls(
            created_at=created_at,
            data=data,
            id=id,
            tenant_id=tenant_id,
            type_=type_,
            session_id=session_id,
        )

        envelope.additional_properties = d
        return envelope

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
