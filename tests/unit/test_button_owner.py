"""A Retry or Continue button names the workspace that owns its thread, and only that workspace's
clicks (in its organisation, when there is one) may act on it."""

from bot.core.ownership import Owner
from bot.slack.blocks import AgainTarget, again_target, again_value


def test_a_retry_value_carries_its_thread_and_owner() -> None:
    for owner in (Owner("T1"), Owner("T1", "E1")):
        target = AgainTarget(owner, "C1", "1700000000.000100")
        assert again_target(again_value(target)) == target


def test_a_value_without_its_workspace_or_malformed_names_nothing() -> None:
    assert again_target('{"c": "C1", "t": "1.0"}') is None, "posted before values named the workspace"
    assert again_target("not json") is None
    assert again_target('["C1", "1.0", "T1"]') is None
    assert again_target('{"c": "C1", "t": 1.0, "w": "T1"}') is None


def test_only_the_owning_workspace_and_organisation_may_act() -> None:
    assert Owner("T1").allows("T1", None)
    assert not Owner("T1").allows("T2", None)
    assert not Owner("T1").allows(None, None)
    assert Owner("T1", "E1").allows("T1", "E1")
    assert not Owner("T1", "E1").allows("T1", "E2")
    assert not Owner("T1").allows("T1", "E1")
