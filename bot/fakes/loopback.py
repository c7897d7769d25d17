"""What the fakes share: an aiohttp application served on 127.0.0.1 at a free port, started and
stopped with the test (or benchmark, or sandbox) that uses it."""

from __future__ import annotations

from typing import ClassVar, Self

from aiohttp import web


class LoopbackServer:
    handler_cancellation: ClassVar[bool] = False
    """Whether a client hanging up cancels its request's handler (a stream should end at once)."""
    origin: str = ""
    """`http://127.0.0.1:<port>` once started."""
    _runner: web.AppRunner | None = None

    def application(self) -> web.Application:
        raise NotImplementedError

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.application(),
            handler_cancellation=self.handler_cancellation,
            access_log=None,
            shutdown_timeout=1.0,
        )
        await self._runner.setup()
        # A deep backlog: benchmarks open hundreds of connections at the same instant.
        site = web.TCPSite(self._runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.origin = f"http://{host}:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
