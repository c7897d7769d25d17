"""The scripted answer every benchmarked reply streams.

Realistic Markdown (headings, paragraphs, a list, a fenced code block) because the bot's
splitting and Slack's markdown limits only matter on text shaped like real answers; a fixed
text because figures from different runs must be comparable.
"""

from __future__ import annotations

_SECTIONS = (
    "Short answer: yes, you can move the nightly export to a queue without losing ordering, "
    "as long as each tenant keeps its own partition and the consumer commits offsets only "
    "after the write to the warehouse succeeds.\n\n",
    "## Why the current job struggles\n\n"
    "The export runs as one cron job that walks every tenant in sequence. When a single "
    "tenant has a large backlog, everyone behind it waits, and a failure halfway through "
    "means the whole run starts again from the first tenant. That is why the job sometimes "
    "finishes after the morning reports are generated.\n\n",
    "## A plan that keeps the guarantees\n\n"
    "1. **Partition by tenant.** Publish one message per changed row to a topic keyed by "
    "tenant id, so rows of one tenant stay in order while tenants proceed independently.\n"
    "2. **Make the writer idempotent.** Use the row's primary key and version as the upsert "
    "key; a redelivered message then rewrites the same row instead of duplicating it.\n"
    "3. **Commit after the write.** Acknowledge a batch only once the warehouse confirmed "
    "it, so a crash replays at most one batch.\n"
    "4. **Watch the lag.** Alert when any partition falls more than ten minutes behind; "
    "that replaces today's check on the job's end time.\n\n",
    "## The consumer loop\n\n"
    "```python\n"
    "async def consume(queue: Queue, warehouse: Warehouse) -> None:\n"
    "    async for batch in queue.batches(max_size=500, max_wait=2.0):\n"
    "        rows = [decode(message) for message in batch]\n"
    '        await warehouse.upsert(rows, key=("id", "version"))\n'
    "        await batch.commit()\n"
    "```\n\n",
    "Keep the batch small enough that a replay is cheap, and large enough that the "
    "warehouse is not flooded with tiny transactions; a few hundred rows is a good start.\n\n",
    "## Things to check before switching\n\n"
    "- Deletes need a tombstone message, or the warehouse never learns about them.\n"
    "- Schema changes must be published before the rows that use them.\n"
    "- The backfill for existing data can reuse the same consumer with a separate topic.\n\n",
)
_FILLER = (
    "If it helps, run both paths side by side for a week and compare row counts per tenant "
    "each morning; once they agree, retire the cron job and keep its code for one more "
    "release in case you need to fall back. "
)


def answer_text(tokens: int, chars_per_token: int = 4) -> str:
    """Exactly `tokens` tokens at the fake's `chars_per_token`, so it streams as that many deltas."""
    size = tokens * chars_per_token
    text = "".join(_SECTIONS)
    while len(text) < size:
        text += _FILLER
    text = text[:size]
    # A cut can land on whitespace; Slack answers never end on it, and neither should the script.
    return text[:-1] + "." if text[-1:].isspace() else text
