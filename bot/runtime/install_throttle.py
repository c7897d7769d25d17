"""A per-client limit on the OAuth install pages, which anyone can open without signing in.

Each `GET /slack/install` writes an OAuth state row and each redirect spends a Slack call, so one
client hammering them costs the database and the app's Slack quota. A token bucket per client
address (`INSTALL_RATE_LIMIT` a minute, as a burst too), the least recently seen clients forgotten
beyond `MAX_CLIENTS`, so memory stays bounded whoever sends what. An install is a handful of
requests; someone over the limit gets a page saying to wait, not an error.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

log = logging.getLogger(__name__)

MAX_CLIENTS = 10_000

TOO_MANY_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Please wait a moment</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; line-height: 1.5">
<h1>Please wait a moment</h1>
<p>There have been a lot of install attempts from your network in the last minute. Wait
{seconds} seconds, then open the install link again.</p>
</body></html>
"""


class ClientBuckets:
    """Token buckets per client key: `per_minute` tokens refilled evenly over a minute."""

    def __init__(
        self, per_minute: int, max_clients: int = MAX_CLIENTS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._capacity = float(per_minute)
        self._refill_per_second = per_minute / 60.0
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        """client -> (tokens, when last counted), least recently seen first."""

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, client: str) -> float:
        """0 when the client may go on (and a token is spent), else seconds until it may."""
        now = self._clock()
        tokens, then = self._buckets.pop(client, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - then) * self._refill_per_second)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self._refill_per_second
        self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return wait


def client_address(request: web.Request, header: str | None) -> str:
    """Behind a proxy every request comes from the proxy: `CLIENT_IP_HEADER` names the header it
    sets (Fly: `Fly-Client-IP`; for `X-Forwarded-For`, the last address, the one the proxy saw)."""
    if header:
        forwarded = request.headers.get(header, "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return request.remote or "unknown"


def install_throttle(
    buckets: ClientBuckets, paths: Iterable[str], client_ip_header: str | None
) -> Middleware:
    limited = frozenset(paths)

    @web.middleware
    async def throttle(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in limited:
            return await handler(request)
        wait = buckets.take(client_address(request, client_ip_header))
        if not wait:
            return await handler(request)
        seconds = math.ceil(wait)
        log.warning("refused an install request over the per-client limit (%s)", request.path)
        return web.Response(
            status=429,
            text=TOO_MANY_PAGE.format(seconds=seconds),
            content_type="text/html",
            headers={"Retry-After": str(seconds)},
        )

    return throttle
