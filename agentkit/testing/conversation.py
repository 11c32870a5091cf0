"""One connection's conversation: an ordered list of items with server-assigned ids.

Sans-I/O: it only keeps order and content; the connection turns its results into wire events.
"""

from __future__ import annotations

from agentkit.protocol import (
    FunctionCallItem,
    FunctionCallOutputItem,
    InputAudioPart,
    Item,
    MessageItem,
    OutputAudioPart,
    new_id,
)
from agentkit.testing.errors import ClientError

ROOT = "root"


class Conversation:
    def __init__(self) -> None:
        self.id = new_id("conv")
        self._items: list[Item] = []
        self.audio_ms: dict[str, int] = {}
        """Length of the audio the server produced for each assistant item (for truncation checks)."""
        self.heard: dict[str, str] = {}
        """What the "model" heard in user audio items (item id -> text), even without transcription."""

    @property
    def items(self) -> list[Item]:
        return list(self._items)

    def _index(self, item_id: str, param: str = "item_id") -> int:
        for index, item in enumerate(self._items):
            if item.id == item_id:
                return index
        raise ClientError("item_not_found", f"Item with item_id '{item_id}' not found.", param)

    def get(self, item_id: str) -> Item:
        return self._items[self._index(item_id)]

    def add(self, item: Item, previous_item_id: str | None = None) -> tuple[Item, str | None]:
        """Insert `item` (after `previous_item_id`, at the start for "root", else at the end).

        Returns the stored item (with an id and status) and the id of the item before it."""
        stored = item.model_copy(update={"id": item.id or new_id("item")})
        if isinstance(stored, (MessageItem, FunctionCallItem, FunctionCallOutputItem)):
            stored = stored.model_copy(update={"status": stored.status or "completed"})
        if any(existing.id == stored.id for existing in self._items):
            raise ClientError(
                "item_id_already_exists", f"Item with id '{stored.id}' already exists.", "item.id"
            )
        if previous_item_id is None:
            position = len(self._items)
        elif previous_item_id == ROOT:
            position = 0
        else:
            position = self._index(previous_item_id, "previous_item_id") + 1
        self._items.insert(position, stored)
        previous = self._items[position - 1].id if position > 0 else None
        return stored, previous

    def replace(self, item: Item) -> None:
        """Store a newer version of an item that is already in the conversation (streamed content)."""
        if item.id is None:
            raise ValueError("an item without an id cannot replace another")
        self._items[self._index(item.id)] = item

    def delete(self, item_id: str) -> None:
        del self._items[self._index(item_id)]
        self.heard.pop(item_id, None)

    def truncate(self, item_id: str, content_index: int, audio_end_ms: int, audio_ms: int) -> None:
        """Cut an assistant audio message at what was played; its transcript goes, as on the service."""
        item = self.get(item_id)
        if not isinstance(item, MessageItem) or item.role != "assistant":
            raise ClientError("invalid_value", "Only assistant messages can be truncated.", "item_id")
        if not 0 <= content_index < len(item.content):
            raise ClientError("invalid_value", "The content_index does not exist.", "content_index")
        part = item.content[content_index]
        if not isinstance(part, OutputAudioPart):
            raise ClientError("invalid_value", "Only audio content can be truncated.", "content_index")
        if audio_end_ms < 0 or audio_end_ms > audio_ms:
            raise ClientError(
                "invalid_value",
                f"Audio content of {audio_ms}ms is shorter than {audio_end_ms}ms.",
                "audio_end_ms",
            )
        content = list(item.content)
        content[content_index] = part.model_copy(update={"transcript": ""})
        self.replace(item.model_copy(update={"content": content}))

    def for_model(self) -> list[Item]:
        """The items as the model sees them: user audio carries what was heard in it."""
        seen: list[Item] = []
        for item in self._items:
            heard = self.heard.get(item.id or "")
            if heard is not None and isinstance(item, MessageItem):
                parts = [
                    p.model_copy(update={"transcript": p.transcript or heard})
                    if isinstance(p, InputAudioPart)
                    else p
                    for p in item.content
                ]
                item = item.model_copy(update={"content": parts})
            seen.append(item)
        return seen
