"""Reading a streamed response body in batches rather than one network read per token.

Claude sends every text delta as soon as it is generated, so a reply of 1,000 tokens arrives
in about 1,000 small reads, and reading a stream costs CPU per read far more than per byte
(benchmarks/README.md). The bot shows text at most once per `SLACK_UPDATE_INTERVAL`, so once
the first text is out it pauses between reads: the socket stops being polled, the kernel
collects what arrives meanwhile, and the next read takes it all at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx2


class PacedBody(httpx2.AsyncByteStream):
    """A response's body that, once `every` is set, rests that long after each chunk it yields.

    It replaces the httpx2 response's `stream`, below the SDK's own SSE decoding, so the events
    (and errors) the SDK makes of the bytes are the same, only fewer reads bring them.
    """

    def __init__(self, response: httpx2.Response) -> None:
        if not isinstance(response.stream, httpx2.AsyncByteStream):
            raise TypeError("PacedBody reads responses of an async client")
        self._body = response.stream
        self._socket = aiohttp_response(response)
        self.every = 0.0
        """Seconds to rest after each chunk; 0 reads every chunk as it comes."""

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._body:
            yield chunk
            if self.every:
                await self._rest()

    async def aclose(self) -> None:
        await self._body.aclose()

    async def _rest(self) -> None:
        """Sleep with the socket unread. A body aiohttp has finished (its connection back in the
        pool, maybe already serving another request) or lost ends without a rest: what is left
        to read is its end or its error."""
        if self._socket is None:
            await asyncio.sleep(self.every)
            return
        connection = self._socket.connection
        protocol = connection.protocol if connection is not None else None
        if protocol is None or not protocol.is_connected():
            return
        protocol.pause_reading()
        try:
            await asyncio.sleep(self.every)
        finally:
            protocol.resume_reading()


def aiohttp_response(response: httpx2.Response) -> aiohttp.ClientResponse | None:
    """The aiohttp response under an httpx2 one made by the SDK's `DefaultAioHttpClient`; None
    for any other transport (which then gets rests without pausing its socket).

    The only place that touches private attributes (httpx2's bound stream, the SDK's vendored
    aiohttp transport): tests/test_claude_stream.py fails loudly when either moves.
    """
    inner = getattr(response.stream, "_stream", None)
    found = getattr(inner, "_aiohttp_response", None)
    return found if isinstance(found, aiohttp.ClientResponse) else None
