from bot.runtime.install_throttle import ClientBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_gets_its_burst_then_waits_for_the_refill() -> None:
    clock = Clock()
    buckets = ClientBuckets(per_minute=6, clock=clock)
    assert [buckets.take("a") for _ in range(6)] == [0.0] * 6
    assert buckets.take("a") == 10.0, "one token every 10 s at 6 a minute"
    assert buckets.take("b") == 0.0, "another client has its own bucket"
    clock.now += 10
    assert buckets.take("a") == 0.0
    assert buckets.take("a") > 0


def test_memory_stays_bounded_under_a_flood_of_addresses() -> None:
    clock = Clock()
    buckets = ClientBuckets(per_minute=1, max_clients=100, clock=clock)
    for n in range(10_000):
        buckets.take(f"10.0.{n // 256}.{n % 256}")
    assert len(buckets) == 100
    assert buckets.take("10.0.39.15") > 0, "the most recent clients are still remembered"
