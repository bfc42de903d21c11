from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.recipient_input_variables_type_0 import RecipientInputVariablesType0


T = TypeVar("T", bound="RecipientInput")


@_attrs_define
class RecipientInput:
    """
    Attributes:
        to (str): A phone number in international form, or a JID.
        variables (None | RecipientInputVariablesType0 | Unset): The recipient's values for the template's variables.
    """

    to: str
    variables: None | RecipientInputVariablesType0 | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.recipient_input_variables_type_0 import RecipientInputVariablesType0  # noqa: PLC0415

        to = self.to

        variables: dict[str, Any] | None | Unset
        if isinstance(self.variables, Unset):
            variables = UNSET
        elif isinstance(self.variables, RecipientInputVariablesType0):
            variables = self.variables.to_dict()
        else:
            variables = self.variables

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "to": to,
            }
        )
        if variables is not UNSET:
            field_dict["variables"] = variables

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.recipient_input_variables_type_0 import RecipientInputVariablesType0  # noqa: PLC0415

        d = dict(src_dict)
        to = d.pop("to")

        def _parse_variables(data: object) -> None | RecipientInputVariablesType0 | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                variables_type_0 = RecipientInputVariablesType0.from_dict(data)

                return variables_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | RecipientInputVariablesType0 | Unset, data)

        variables = _parse_variables(d.pop("variables", UNSET))

        recipient_input = cls(
            to=to,
            variables=variables,
        )

        return recipient_input
