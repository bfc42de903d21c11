from enum import StrEnum


class ParticipantAction(StrEnum):
    ADD = "add"
    DEMOTE = "demote"
    PROMOTE = "promote"
    REMOVE = "remove"

    def __str__(self) -> str:
        return str(self.value)
