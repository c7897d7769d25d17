"""The rate budget's arithmetic with a fake clock, and how calls are scoped."""

import pytest

from bot.core.rate_window import PER_CHANNEL, Limit, WindowScheduler, parse_limit, parse_limits
from bot.slack.rate_limits import IDLE_SWEEP_AT, Scope, SlackRateLimits


def test_grants_up_to_the_limit_then_waits_for_the_window() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=3, window=60)
    for name in "abcd":
        s.request(name, urgent=True)
    granted, wait = s.poll(0.0)
    assert granted == ["a", "b", "c"]
    assert wait == 60.0
    assert s.poll(30.0) == ([], 30.0)
    assert s.poll(60.0) == (["d"], None)


def test_progress_is_paced_over_the_window_and_leaves_a_margin() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=4, window=60)
    for name in "abcd":
        s.request(name, urgent=False)
    assert s.poll(0.0) == (["a"], 15.0)
    assert s.poll(10.0) == ([], 5.0)
    assert s.poll(15.0) == (["b"], 15.0)
    assert s.poll(30.0) == (["c"], 30.0)
    assert s.poll(45.0)[0] == [], "the last call of the window is kept for a reply that starts meanwhile"
    s.request("final", urgent=True)
    assert s.poll(46.0)[0] == ["final"], "urgent calls are not paced and may use the margin"


def test_urgent_goes_first_even_when_queued_later() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=3, window=60)
    s.request("progress-1", urgent=False)
    s.request("progress-2", urgent=False)
    s.request("final", urgent=True)
    granted, _ = s.poll(0.0)
    assert granted == ["final", "progress-1"]


def test_progress_leaves_room_for_the_finals_of_running_replies() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=10, window=60)
    s.reserve = 3
    for i in range(10):
        s.request(f"p{i}", urgent=False)
    now, granted = 0.0, []
    while now < 59:
        got, wait = s.poll(now)
        granted += got
        now += wait or 1
    assert granted == [f"p{i}" for i in range(6)], "10 less 3 reserved less 1 margin"
    for name in ("final-a", "final-b", "final-c"):
        s.request(name, urgent=True)
    assert s.poll(59.5)[0] == ["final-a", "final-b", "final-c"]


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
    s: WindowScheduler[str] = WindowScheduler(limit=2, window=2)
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


def test_a_429_pauses_then_the_limit_climbs_back_to_what_is_configured() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=10, window=60)
    s.penalize(now=0.0, retry_after=5)
    s.request("x", urgent=True)
    assert s.poll(1.0) == ([], 4.0)
    assert s.headroom(1.0) <= 0, "a paused limit offers no room to a reply choosing how to write"
    assert s.poll(5.0) == (["x"], None)
    assert s.limit(5.0) == 8, "it restarts a little lower"
    assert s.limit(11.0) == 9, "and climbs back by the configured rate"
    assert s.limit(65.0) == 10, "to the configured limit, within one window"


def test_repeated_429s_never_leave_a_budget_shrunk_for_good() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=50, window=60)
    for second in range(20):
        s.penalize(now=float(second), retry_after=1)
    assert s.limit(21.0) == 1
    assert s.limit(20.0 + 61) == 50
    for i in range(50):
        s.request(i, urgent=True)
    assert len(s.poll(200.0)[0]) == 50


def test_cancelled_tickets_leave_the_queue() -> None:
    s: WindowScheduler[str] = WindowScheduler(limit=2, window=60)
    s.request("gone", urgent=False)
    s.request("stays", urgent=False)
    s.cancel("gone")
    assert s.poll(0.0) == (["stays"], None)


def test_rates_are_read_as_calls_a_minute_or_calls_per_seconds() -> None:
    assert parse_limit(45) == Limit(45, 60.0)
    assert parse_limit("8/10s", per_channel=True) == Limit(8, 10.0, per_channel=True)
    assert parse_limit(" 90 ") == Limit(90, 60.0)
    for bad in ("0", "fast", "5/0s", -3):
        with pytest.raises(ValueError):
            parse_limit(bad)
    limits = parse_limits({"chat.postMessage": "8/10s", "chat.update": 45}, PER_CHANNEL)
    assert limits["chat.postMessage"].per_channel and not limits["chat.update"].per_channel


def test_post_message_is_counted_per_channel_and_tiers_per_workspace() -> None:
    limits = SlackRateLimits(parse_limits({"chat.postMessage": "8/10s", "chat.update": 45}, PER_CHANNEL))
    assert limits.scope("chat.postMessage", "T1", {"channel": "C1"}) == Scope("chat.postMessage", "T1", "C1")
    assert limits.scope("chat.update", "T1", {"channel": "C1"}) == Scope("chat.update", "T1", None)
    assert limits.scope("views.publish", "T1", {}) is None, "no limit configured: free"


async def test_idle_windows_are_forgotten_so_many_channels_stay_bounded() -> None:
    now = [0.0]
    limits = SlackRateLimits(parse_limits({"chat.postMessage": "1/1s"}, PER_CHANNEL), clock=lambda: now[0])
    for i in range(IDLE_SWEEP_AT * 3):
        await limits.acquire(limits.scope("chat.postMessage", "T1", {"channel": f"C{i}"}), urgent=True)
        now[0] += 0.01
    assert len(limits._windows) <= IDLE_SWEEP_AT + 1


def test_a_call_counts_until_a_window_after_it_was_answered_not_granted() -> None:
    """Slack counts a call when it arrives; in a busy process that is well after the grant."""
    s: WindowScheduler[str] = WindowScheduler(limit=2, window=60)
    s.request("slow", urgent=True)
    s.request("fast", urgent=True)
    assert s.poll(0.0)[0] == ["slow", "fast"]
    s.answered("fast", 0.1)
    s.answered("slow", 5.0)
    s.request("next", urgent=True)
    s.request("last", urgent=True)
    granted, wait = s.poll(60.2)
    assert granted == ["next"], "the fast one's slot is free"
    assert wait == pytest.approx(4.8), "the slow one's only a window after it was answered"
    assert s.poll(64.9)[0] == []
    assert s.poll(65.0)[0] == ["last"]


def test_the_authorize_cache_keeps_one_entry_per_workspace_across_rotations() -> None:
    from slack_bolt.authorization import AuthorizeResult

    from bot.slack.installations import AuthorizeCache

    cache = AuthorizeCache(max_workspaces=2)
    for rotation in range(5):
        cache[f"xoxe.xoxb-{rotation}"] = AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="x")
    assert list(cache) == ["xoxe.xoxb-4"], "a rotated token replaces the workspace's old entry"
    cache["xoxb-t2"] = AuthorizeResult(enterprise_id=None, team_id="T2")
    cache["xoxb-t3"] = AuthorizeResult(enterprise_id=None, team_id="T3")
    assert len(cache) == 2 and "xoxe.xoxb-4" not in cache, "bounded: the least recently used goes"


async def test_a_rotated_token_keeps_its_workspaces_budget() -> None:
    limits = SlackRateLimits(parse_limits({"chat.update": 5}, PER_CHANNEL))
    before = limits.scope("chat.update", "T1", {})
    await limits.acquire(before, urgent=True)
    after_rotation = limits.scope("chat.update", "T1", {})
    assert after_rotation == before and limits.headroom(after_rotation) == 4, "keyed by workspace, not token"
