"""Child processes measured from outside: the bot under test and the SDK baseline reader.

CPU and memory come from /proc, not from inside the process, so the figure includes every
thread, the interpreter and the libraries, and the measuring costs the process nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Settings the bot reads; a developer's own values must not leak into a measured run.
BOT_ENV_PREFIXES = ("SLACK_", "ANTHROPIC_", "CLAUDE_", "BOT_", "USER_NAME_CACHE")
BOT_ENV_NAMES = ("DATABASE_URL", "HOST", "PORT", "METRICS_PORT", "LOG_LEVEL", "LOG_FORMAT")


def cpu_seconds(pid: int) -> float:
    """utime + stime of every thread of the process so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name may contain spaces and parentheses; the fields follow the last ")".
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak since start), in kB."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def cpu_share(timeline: list[tuple[float, float]], start: float, end: float) -> float | None:
    """Cores used between two monotonic times (1.0 = one core busy), from the samples inside."""
    inside = [(t, c) for t, c in timeline if start <= t <= end]
    if len(inside) < 2 or inside[-1][0] <= inside[0][0]:
        return None
    return (inside[-1][1] - inside[0][1]) / (inside[-1][0] - inside[0][0])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RssSampler:
    """Samples VmRSS every `interval`: VmHWM alone can't tell a scenario's peak from start-up's.

    It keeps the CPU time at each sample too, so a part of a run (its steady state, say) can
    be judged on its own.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self.samples = 0
        self.cpu: list[tuple[float, float]] = []  # (time.monotonic(), CPU seconds so far)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> int:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._sample()
        return self.peak_kb

    def _sample(self) -> None:
        with contextlib.suppress(OSError, KeyError, ValueError):
            self.peak_kb = max(self.peak_kb, memory_kb(self.pid)["VmRSS"])
            self.cpu.append((time.monotonic(), cpu_seconds(self.pid)))
            self.samples += 1

    async def _run(self) -> None:
        while True:
            self._sample()
            await asyncio.sleep(self.interval)


def bot_environment(settings: Mapping[str, str]) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(BOT_ENV_PREFIXES) and key not in BOT_ENV_NAMES
    }
    env.update(settings)
    env["PYTHONUNBUFFERED"] = "1"
    return env


class BotProcess:
    """`python -m bot serve` in HTTP mode, in its own working directory (no stray `.env`)."""

    def __init__(self, settings: Mapping[str, str], workdir: Path) -> None:
        self.settings = dict(settings)
        self.workdir = workdir
        self.port = int(settings["PORT"])
        self.log_path = workdir / "bot.log"
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    async def upgrade_database(self) -> None:
        """`bot db upgrade` on the bot's database, as a deploy runs it before the bot starts."""
        with self.log_path.open("ab") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "db",
                "upgrade",
                cwd=self.workdir,
                env=bot_environment(self.settings),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            if await process.wait() != 0:
                raise RuntimeError(f"bot db upgrade failed:\n{self.log_tail()}")

    async def start(self, timeout: float = 30.0) -> None:
        with self.log_path.open("ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "serve"],
                cwd=self.workdir,
                env=bot_environment(self.settings),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as session:
            while True:
                if self._proc.poll() is not None:
                    raise RuntimeError(f"the bot exited at start-up:\n{self.log_tail()}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with session.get(f"http://127.0.0.1:{self.port}/healthz") as response:
                        if response.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"the bot did not answer /healthz in {timeout:.0f}s:\n{self.log_tail()}"
                    )
                await asyncio.sleep(0.05)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def memory_kb(self) -> dict[str, int]:
        return memory_kb(self.pid)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def log_summary(self) -> dict[str, Any]:
        """How many WARNING / ERROR lines the bot wrote, and the most frequent messages."""
        counts: dict[str, int] = {}
        levels = {"WARNING": 0, "ERROR": 0, "CRITICAL": 0}
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return {"levels": levels, "top": []}
        for line in text.splitlines():
            for level in levels:
                marker = f" {level} "
                if marker in line:
                    levels[level] += 1
                    message = line.split(marker, 1)[1][:120]
                    counts[message] = counts.get(message, 0) + 1
                    break
        top = sorted(counts.items(), key=lambda item: -item[1])[:8]
        return {"levels": levels, "top": [{"count": n, "message": m} for m, n in top]}

    async def stop(self) -> None:
        proc = self._proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.wait, 15)
        except subprocess.TimeoutExpired:
            proc.kill()
            await asyncio.to_thread(proc.wait)


class BaselineProcess:
    """`python -m benchmarks.baseline`: ready after a warm-up stream, reads on "go", waits for "exit".

    The handshake puts the CPU readings around exactly the measured streams.
    """

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self._proc: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    async def start(self) -> dict[str, Any]:
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "benchmarks.baseline",
            *self.args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        return await self._line()

    async def run(self) -> dict[str, Any]:
        await self._send("go")
        return await self._line()

    async def stop(self) -> None:
        if self._proc is None:
            return
        if self._proc.returncode is None:
            with contextlib.suppress(ConnectionError):
                await self._send("exit")
            try:
                await asyncio.wait_for(self._proc.wait(), 15)
            except TimeoutError:
                self._proc.kill()
                await self._proc.wait()

    async def _send(self, line: str) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(line.encode() + b"\n")
        await self._proc.stdin.drain()

    async def _line(self) -> dict[str, Any]:
        assert self._proc is not None and self._proc.stdout is not None
        raw = await self._proc.stdout.readline()
        if not raw:
            raise RuntimeError("the baseline reader exited early")
        answer: dict[str, Any] = json.loads(raw)
        return answer
