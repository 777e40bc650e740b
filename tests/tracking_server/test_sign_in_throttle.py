"""``SignInThrottle``: failed sign-ins per user name and client, on a clock the test sets."""

from __future__ import annotations

from labtrack.tracking_server.auth.throttle import SignInThrottle


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_name_failing_too_often_waits_for_the_window_then_may_sign_in():
    clock = Clock()
    throttle = SignInThrottle(max_failures=3, window=60.0, clock=clock)
    for _ in range(3):
        assert throttle.blocked_for("ada", "10.0.0.1") == 0
        throttle.failed("ada", "10.0.0.1")
        clock.now += 1
    assert (
        throttle.blocked_for("ada", "10.0.0.1") == 57.0
    )  # when the first failure (at 1000) ages out
    assert throttle.blocked_for("ada", "10.0.0.2") == 0  # another client
    assert throttle.blocked_for("bob", "10.0.0.1") == 0  # another name
    clock.now += 57
    assert throttle.blocked_for("ada", "10.0.0.1") == 0
    throttle.succeeded("ada", "10.0.0.1")  # a good sign-in forgets the failures
    throttle.failed("ada", "10.0.0.1")
    assert throttle.blocked_for("ada", "10.0.0.1") == 0
