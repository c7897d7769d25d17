"""The CPU baseline: what merely reading the same Claude streams costs through the SDK's default path.

Run by the harness as its own process (`python -m benchmarks.baseline …`) so its CPU is read
from /proc exactly like the bot's: `AsyncAnthropic` with its default transport,
`messages.stream(...)`, consuming `text_stream`, `--streams` of them at once. Nothing else
happens per delta, which is the point: the bot's whole turn is compared with this.

Protocol on stdin/stdout, one JSON object per line out: after one warm-up stream it prints
{"ready": …}; on "go" it reads the streams and prints the result; on "exit" it exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time

import anthropic


async def _read(client: anthropic.AsyncAnthropic, model: str, max_tokens: int, prompt: str) -> int:
    chars = 0
    async with client.messages.stream(
        model=model, max_tokens=max_tokens, messages=[{"role": "user", "content": prompt}]
    ) as stream:
        async for text in stream.text_stream:
            chars += len(text)
    return chars


async def _main(args: argparse.Namespace) -> None:
    client = anthropic.AsyncAnthropic(base_url=args.base_url, api_key=args.api_key, max_retries=0)
    try:
        await _read(client, args.model, args.max_tokens, "warm-up")
        print(json.dumps({"ready": True}), flush=True)
        if (await asyncio.to_thread(sys.stdin.readline)).strip() != "go":
            return
        started = time.monotonic()
        chars = await asyncio.gather(
            *(_read(client, args.model, args.max_tokens, f"question {i}") for i in range(args.streams))
        )
        elapsed = time.monotonic() - started
        print(json.dumps({"chars": chars, "elapsed": elapsed}), flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    finally:
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.baseline")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--streams", type=int, default=1)
    parser.add_argument("--model", default="claude-sonnet-5-5")
    parser.add_argument("--max-tokens", type=int, default=4096)
    asyncio.run(_main(parser.parse_args()))


if __name__ == "__main__":
    main()
