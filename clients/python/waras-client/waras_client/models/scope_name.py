from enum import StrEnum


class ScopeName(StrEnum):
    MANAGE = "manage"
    READ = "read"
    SEND = "send"

    def __str__(self) -> str:
        return str(self.value)
