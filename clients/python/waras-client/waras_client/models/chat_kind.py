from enum import StrEnum


class ChatKind(StrEnum):
    DIRECT = "direct"
    GROUP = "group"

    def __str__(self) -> str:
        return str(self.value)
