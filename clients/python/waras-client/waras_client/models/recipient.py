from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.recipient_variables_type_0 import RecipientVariablesType0


T = TypeVar("T", bound="Recipient")


@_attrs_define
class Recipient:
    """
    Attributes:
        seq (int): Upload order, from 0; the list's cursor.
        status (str): queued, scheduled, sent, delivered, read, failed, skipped or cancelled.
        to (str):
        updated_at (str):
        error (None | str | Unset):
        message_id (None | str | Unset):
        session_id (None | str | Unset):
        variables (None | RecipientVariablesType0 | Unset):
        wa_id (None | str | Unset):
    """

    seq: int
    status: str
    to: str
    updated_at: str
    error: None | str | Unset = UNSET
    message_id: None | str | Unset = UNSET
    session_id: None | str | Unset = UNSET
    variables: None | RecipientVariablesType0 | Unset = UNSET
    wa_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.recipient_variables_type_0 import RecipientVariablesType0  # noqa: PLC0415

        seq = self.seq

        status = self.status

        to = self.to

        updated_at = self.updated_at

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        message_id: None | str | Unset
        if isinstance(self.message_id, Unset):
            message_id = UNSET
        else:
            message_id = self.message_id

        session_id: None | str | Unset
        if isinstance(self.session_id, Unset):
            session_id = UNSET
        else:
            session_id = self.session_id

        variables: dict[str, Any] | None | Unset
        if isinstance(self.variables, Unset):
            variables = UNSET
        elif isinstance(self.variables, RecipientVariablesType0):
            variables = self.variables.to_dict()
        else:
            variables = self.variables

        wa_id: None | str | Unset
        if isinstance(self.wa_id, Unset):
            wa_id = UNSET
        else:
            wa_id = self.wa_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "seq": seq,
                "status": status,
                "to": to,
                "updated_at": updated_at,
            }
        )
        if error is not UNSET:
            field_dict["error"] = error
        if message_id is not UNSET:
            field_dict["message_id"] = message_id
        if session_id is not UNSET:
            field_dict["session_id"] = session_id
        if variables is not UNSET:
            field_dict["variables"] = variables
        if wa_id is not UNSET:
            field_dict["wa_id"] = wa_id

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.recipient_variables_type_0 import RecipientVariablesType0  # noqa: PLC0415

        d = dict(src_dict)
        seq = d.pop("seq")

        status = d.pop("status")

        to = d.pop("to")

        updated_at = d.pop("updated_at")

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        def _parse_message_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        message_id = _parse_message_id(d.pop("message_id", UNSET))

        def _parse_session_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        session_id = _parse_session_id(d.pop("session_id", UNSET))

        def _parse_variables(data: object) -> None | RecipientVariablesType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                variables_type_0 = RecipientVariablesType0.from_dict(data)

                return variables_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RecipientVariablesType0 | Unset, data)

        variables = _parse_variables(d.pop("variables", UNSET))

        def _parse_wa_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        wa_id = _parse_wa_id(d.pop("wa_id", UNSET))

        recipient = cls(
            seq=seq,
            status=status,
            to=to,
            updated_at=updated_at,
            error=error,
            message_id=message_id,
            session_id=session_id,
            variables=variables,
            wa_id=wa_id,
        )

        recipient.additional_properties = d
        return recipient

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
