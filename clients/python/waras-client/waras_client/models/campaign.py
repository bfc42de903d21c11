from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.counts import Counts
    from ..models.pacing import Pacing


T = TypeVar("T", bound="Campaign")


@_attrs_define
class Campaign:
    """
    Attributes:
        counts (Counts): Each recipient in one bucket: where its message stands, or why it has none.
        created_at (str):
        id (str):
        name (str):
        pacing (Pacing): How fast each session of a campaign sends.
        session_ids (list[str]):
        skip_unregistered (bool):
        status (str): draft, running, paused, completed, cancelled or stopped. Example: running.
        type_ (str):
        updated_at (str):
        finished_at (None | str | Unset):
        started_at (None | str | Unset):
        stopped_reason (None | str | Unset): Why a `stopped` campaign stopped (a session left WORKING, WhatsApp's rate
            limit, a run
            of failures).
        template_id (None | str | Unset):
    """

    counts: Counts
    created_at: str
    id: str
    name: str
    pacing: Pacing
    session_ids: list[str]
    skip_unregistered: bool
    status: str
    type_: str
    updated_at: str
    finished_at: None | str | Unset = UNSET
    started_at: None | str | Unset = UNSET
    stopped_reason: None | str | Unset = UNSET
    template_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        counts = self.counts.to_dict()

        created_at = self.created_at

        id = self.id

        name = self.name

        pacing = self.pacing.to_dict()

        session_ids = self.session_ids

        skip_unregistered = self.skip_unregistered

        status = self.status

        type_ = self.type_

        updated_at = self.updated_at

        finished_at: None | str | Unset
        if isinstance(self.finished_at, Unset):
            finished_at = UNSET
        else:
            finished_at = self.finished_at

        started_at: None | str | Unset
        if isinstance(self.started_at, Unset):
            started_at = UNSET
        else:
            started_at = self.started_at

        stopped_reason: None | str | Unset
        if isinstance(self.stopped_reason, Unset):
            stopped_reason = UNSET
        else:
            stopped_reason = self.stopped_reason

        template_id: None | str | Unset
        if isinstance(self.template_id, Unset):
            template_id = UNSET
        else:
            template_id = self.template_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "counts": counts,
                "created_at": created_at,
                "id": id,
                "name": name,
                "pacing": pacing,
                "session_ids": session_ids,
                "skip_unregistered": skip_unregistered,
                "status": status,
                "type": type_,
                "updated_at": updated_at,
            }
        )
        if finished_at is not UNSET:
            field_dict["finished_at"] = finished_at
        if started_at is not UNSET:
            field_dict["started_at"] = started_at
        if stopped_reason is not UNSET:
            field_dict["stopped_reason"] = stopped_reason
        if template_id is not UNSET:
            field_dict["template_id"] = template_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.counts import Counts  # noqa: PLC0415
        from ..models.pacing import Pacing  # noqa: PLC0415

        d = dict(src_dict)
        counts = Counts.from_dict(d.pop("counts"))

        created_at = d.pop("created_at")

        id = d.pop("id")

        name = d.pop("name")

        pacing = Pacing.from_dict(d.pop("pacing"))

        session_ids = cast(list[str], d.pop("session_ids"))

        skip_unregistered = d.pop("skip_unregistered")

        status = d.pop("status")

        type_ = d.pop("type")

        updated_at = d.pop("updated_at")

        def _parse_finished_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        finished_at = _parse_finished_at(d.pop("finished_at", UNSET))

        def _parse_started_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        started_at = _parse_started_at(d.pop("started_at", UNSET))

        def _parse_stopped_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        stopped_reason = _parse_stopped_reason(d.pop("stopped_reason", UNSET))

        def _parse_template_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        template_id = _parse_template_id(d.pop("template_id", UNSET))

        campaign = cls(
            counts=counts,
            created_at=created_at,
            id=id,
            name=name,
            pacing=pacing,
            session_ids=session_ids,
            skip_unregistered=skip_unregistered,
            status=status,
            type_=type_,
            updated_at=updated_at,
            finished_at=finished_at,
            started_at=started_at,
            stopped_reason=stopped_reason,
            template_id=template_id,
        )

        campaign.additional_properties = d
        return campaign

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
