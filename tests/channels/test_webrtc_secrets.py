"""The book of client secrets this server issued: a secret claims one call, once, before it expires."""

from __future__ import annotations

import pytest

from agentkit.channels.webrtc import CallRefused
from agentkit.channels.webrtc.secrets import SecretBook


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_expired_unclaimed_secret_is_refused_and_forgotten() -> None:
    clock = Clock()
    book = SecretBook(clock=clock)
    book.add("ek_one", expires_at=clock.now + 60)
    clock.now += 61
    with pytest.raises(CallRefused, match="expired"):
        book.claim("ek_one", "rtc_1")
    assert len(book) == 0


def test_a_claimed_secret_may_claim_its_own_call_again_but_no_other() -> None:
    book = SecretBook(clock=Clock())
    book.add("ek_one", expires_at=2000)
    book.add("ek_two", expires_at=2000)
    book.claim("ek_one", "rtc_1")
    book.claim("ek_one", "rtc_1")  # a page reload tells the same call again
    with pytest.raises(CallRefused, match="another call"):
        book.claim("ek_one", "rtc_2")
    with pytest.raises(CallRefused, match="another client secret"):
        book.claim("ek_two", "rtc_1")


def test_the_book_stays_bounded_and_keeps_no_secret_in_the_clear() -> None:
    book = SecretBook(max_entries=3, clock=Clock())
    for number in range(5):
        book.add(f"ek_{number}", expires_at=2000)
    assert len(book) == 3
    with pytest.raises(CallRefused):
        book.claim("ek_0", "rtc_1")  # the oldest went first
    book.claim("ek_4", "rtc_1")
    assert "ek_4" not in repr(vars(book))
