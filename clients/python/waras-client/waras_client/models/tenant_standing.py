from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.quota_usage import QuotaUsage
    from ..models.quotas import Quotas


T = TypeVar("T", bound="TenantStanding")


@_attrs_define
class TenantStanding:
    """A tenant with its standing: suspension, quotas (its own, else the defaults; absent: no
    limit) and usage.

        Attributes:
            created_at (str):
            id (str):
            name (str):
            quotas (Quotas):
            suspended (bool):
            usage (QuotaUsage): What a tenant uses of each quota now.
            suspended_at (None | str | Unset):
    """

    created_at: str
    id: str
    name: str
    quotas: Quotas
    suspended: bool
    usage: QuotaUsage
    suspended_at: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        created_at = self.created_at

        id = self.id

        name = self.name

        quotas = self.quotas.to_dict()

        suspended = self.suspended

        usage = self.usage.to_dict()

        suspended_at: None | str | Unset
        if isinstance(self.suspended_at, Unset):
            suspended_at = UNSET
        else:
            suspended_at = self.suspended_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "created_at": created_at,
                "id": id,
                "name": name,
                "quotas": quotas,
                "suspended": suspended,
                "usage": usage,
            }
        )
        if suspended_at is not UNSET:
            field_dict["suspended_at"] = suspended_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.quota_usage import QuotaUsage  # noqa: PLC0415
        from ..models.quotas import Quotas  # noqa: PLC0415

        d = dict(src_dict)
        created_at = d.pop("created_at")

        id = d.pop("id")

        name = d.pop("name")

        quotas = Quotas.from_dict(d.pop("quotas"))

        suspended = d.pop("suspended")

        usage = QuotaUsage.from_dict(d.pop("usage"))

        def _parse_suspended_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        suspended_at = _parse_suspended_at(d.pop("suspended_at", UNSET))

        tenant_standing = cls(
            created_at=created_at,
            id=id,
            name=name,
            quotas=quotas,
            suspended=suspended,
            usage=usage,
            suspended_at=suspended_at,
        )

        tenant_standing.additional_properties = d
        return tenant_standing

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
