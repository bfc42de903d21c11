from enum import StrEnum


class MessagesActAction(StrEnum):
    ARCHIVE = "archive"
    MUTE = "mute"
    PIN = "pin"
    READ = "read"
    UNARCHIVE = "unarchive"
    UNMUTE = "unmute"
    UNPIN = "unpin"
    UNREAD = "unread"

    def __str__(self) -> str:
        return str(self.value)
