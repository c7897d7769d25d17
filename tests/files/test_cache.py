import asyncio

from bot.files.cache import FileCache, cache_key
from bot.files.model import Prepared, placeholder


def item(file_id: str, weight: int, kind: str = "text") -> Prepared:
    return Prepared(file_id, file_id, kind, (placeholder(file_id),), None, weight)  # type: ignore[arg-type]


def make_returning(prepared: Prepared, calls: list[str]):
    async def make() -> Prepared:
        calls.append(prepared.file_id)
        await asyncio.sleep(0)
        return prepared

    return make


def test_the_key_is_the_workspace_and_the_file_id_its_size_and_timestamp() -> None:
    shared = {"id": "F1", "size": 10, "timestamp": 1700, "created": 1600}
    assert cache_key(shared, "T1") == ("T1", "F1", 10, 1700)
    assert cache_key(shared, "T2") != cache_key(shared, "T1"), "another workspace's turn downloads its own"
    assert cache_key({"id": "F1", "created": 1600}, "T1") == ("T1", "F1", -1, 1600)
    assert cache_key({"name": "no id"}, "T1") is None


async def test_a_file_is_made_once_then_served_from_memory() -> None:
    cache, calls = FileCache(), []
    for _ in range(3):
        assert (
            await cache.get_or_make(("T", "F1", 1, 1), make_returning(item("F1", 10), calls))
        ).file_id == "F1"
    assert calls == ["F1"]
    assert (cache.stats.hits, cache.stats.misses, cache.stats.items, cache.stats.bytes) == (2, 1, 1, 10)


async def test_at_the_byte_budget_the_least_recently_used_go() -> None:
    cache, calls = FileCache(max_bytes=100), []
    await cache.get_or_make(("T", "A", 1, 1), make_returning(item("A", 40), calls))
    await cache.get_or_make(("T", "B", 1, 1), make_returning(item("B", 40), calls))
    await cache.get_or_make(("T", "A", 1, 1), make_returning(item("A", 40), calls))  # A is now the fresher
    await cache.get_or_make(("T", "C", 1, 1), make_returning(item("C", 40), calls))
    await cache.get_or_make(("T", "A", 1, 1), make_returning(item("A", 40), calls))
    await cache.get_or_make(("T", "B", 1, 1), make_returning(item("B", 40), calls))
    assert calls == ["A", "B", "C", "B"]
    assert cache.stats.bytes <= 100


async def test_failed_downloads_and_oversized_items_are_not_kept() -> None:
    cache, calls = FileCache(max_bytes=100), []
    for _ in range(2):
        await cache.get_or_make(("T", "U", 1, 1), make_returning(item("U", 1, "unavailable"), calls))
        await cache.get_or_make(("T", "H", 1, 1), make_returning(item("H", 101), calls))
    assert calls == ["U", "H", "U", "H"]
    assert cache.stats.items == 0


async def test_concurrent_requests_for_one_file_share_one_download() -> None:
    cache, calls = FileCache(), []
    gate = asyncio.Event()

    async def slow() -> Prepared:
        calls.append("F")
        await gate.wait()
        return item("F", 5)

    waiters = [asyncio.create_task(cache.get_or_make(("T", "F", 1, 1), slow)) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[0].cancel()  # one turn gives up; the others still get the file, and it is kept
    gate.set()
    results = await asyncio.gather(*waiters, return_exceptions=True)
    assert isinstance(results[0], asyncio.CancelledError)
    assert [r.file_id for r in results[1:]] == ["F", "F"]
    assert calls == ["F"]
    assert cache.stats.items == 1
