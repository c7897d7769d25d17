"""The rate budget's arithmetic with a fake clock."""

from bot.slack.ratebudget import WindowScheduler


def test_grants_up_to_the_limit_then_waits_for_the_window() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=3, window=60)
    for name in "abcd":
        s.request(name, urgent=True)
    granted, wait = s.poll(0.0)
    assert granted == ["a", "b", "c"]
    assert wait == 60.0
    assert s.poll(30.0) == ([], 30.0)
    assert s.poll(60.0) == (["d"], None)


def test_progress_edits_are_paced_over_the_window() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=3, window=60)
    for name in "abc":
        s.request(name, urgent=False)
    assert s.poll(0.0) == (["a"], 20.0)
    assert s.poll(10.0) == ([], 10.0)
    assert s.poll(20.0) == (["b"], 20.0)
    s.request("final", urgent=True)
    assert s.poll(21.0) == (["final"], 39.0), "urgent calls are not paced; the window is now full"


def test_urgent_goes_first_even_when_queued_later() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=2, window=60)
    s.request("progress-1", urgent=False)
    s.request("progress-2", urgent=False)
    s.request("final", urgent=True)
    granted, _ = s.poll(0.0)
    assert granted == ["final", "progress-1"]


def test_progress_leaves_room_for_the_finals_of_running_replies() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=5, window=60)
    s.reserve = 3
    for i in range(5):
        s.request(f"p{i}", urgent=False)
    assert s.poll(0.0)[0] == ["p0"]
    assert s.poll(12.0)[0] == ["p1"]
    assert s.poll(24.0)[0] == [], "the rest is kept for the final text of the three running replies"
    s.request("final-a", urgent=True)
    s.request("final-b", urgent=True)
    s.request("final-c", urgent=True)
    granted, _ = s.poll(1.0)
    assert granted == ["final-a", "final-b", "final-c"]


def test_headroom_counts_the_window_the_queue_and_the_reserve() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=5, window=60)
    s.request("a", urgent=True)
    s.poll(0.0)
    s.reserve = 2
    s.request("b", urgent=True)
    assert s.headroom(1.0) == 5 - 1 - 1 - 2
    s.poll(1.0)
    assert s.headroom(59.0) == 5 - 2 - 2
    assert s.headroom(61.5) == 5 - 0 - 2, "grants older than the window are free again"


def test_progress_is_shared_fairly_in_turn() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=1, window=1)
    order = []
    s.request("A", urgent=False)
    s.request("B", urgent=False)
    now = 0.0
    for _ in range(6):
        granted, wait = s.poll(now)
        for who in granted:
            order.append(who)
            s.request(who, urgent=False)
        now += wait or 0
    assert order == ["A", "B", "A", "B", "A", "B"]


def test_a_429_pauses_and_shrinks_the_budget() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=10, window=60)
    s.penalize(now=0.0, retry_after=5)
    assert s.limit == 8
    s.request("x", urgent=True)
    assert s.poll(1.0) == ([], 4.0)
    assert s.poll(5.0) == (["x"], None)


def test_cancelled_tickets_leave_the_queue() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=1, window=60)
    s.request("gone", urgent=False)
    s.request("stays", urgent=False)
    s.cancel("gone")
    assert s.poll(0.0) == (["stays"], None)
