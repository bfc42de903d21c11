from enum import StrEnum


class MessageKind(StrEnum):
    AUDIO = "audio"
    CONTACT = "contact"
    DOCUMENT = "document"
    EDIT = "edit"
    IMAGE = "image"
    LOCATION = "location"
    POLL = "poll"
    REACTION = "reaction"
    REVOKE = "revoke"
    STICKER = "sticker"
    TEXT = "text"
    VIDEO = "video"

    def __str__(self) -> str:
        return str(self.value)
