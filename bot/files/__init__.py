"""Files shared in a thread → content Claude can read, within the API's limits.

The pure middle (sniff, images, documents, prepare, request_size) works on bytes and plain data;
`download` is the only part that touches the network, and `thread` puts the pieces together.
"""

from bot.files.cache import CacheStats, FileCache
from bot.files.download import FILES_READ_MISSING, allowed_origins
from bot.files.model import FileLimits, Prepared
from bot.files.thread import ThreadAttachments, attachments_for_thread

__all__ = [
    "FILES_READ_MISSING",
    "CacheStats",
    "FileCache",
    "FileLimits",
    "Prepared",
    "ThreadAttachments",
    "allowed_origins",
    "attachments_for_thread",
]
