"""The fault and bad-input suites: every test here is marked `fault` or `bad_input`, and the run
ends with a line counting how many of each passed."""

from __future__ import annotations

import pytest

_RESULTS: dict[str, dict[str, bool]] = {"fault": {}, "bad_input": {}}


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    for family in _RESULTS:
        if item.get_closest_marker(family) is None:
            continue
        if report.when == "call" or (report.when == "setup" and report.failed):
            _RESULTS[family][item.nodeid] = report.passed
        elif report.failed:
            _RESULTS[family][item.nodeid] = False


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    faults, bad = _RESULTS["fault"], _RESULTS["bad_input"]
    if faults or bad:
        terminalreporter.write_line(
            f"faults survived: {sum(faults.values())}/{len(faults)}, "
            f"bad inputs handled: {sum(bad.values())}/{len(bad)}"
        )
