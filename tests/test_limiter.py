"""The adaptive concurrency limiter: AIMD arithmetic, pauses and priorities, on a fake clock."""

from __future__ import annotations

import asyncio

import pytest

from summarize.limiter import BACKOFF, NORMAL, START, URGENT, Limiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def admit(limiter: Limiter, n: int) -> list:
    tickets = [limiter.try_admit() for _ in range(n)]
    assert None not in tickets
    return tickets


def test_starts_wide_and_a_cap_is_a_hard_limit() -> None:
    assert Limiter().allowed == START >= 100
    capped = Limiter(3)
    tickets = admit(capped, 3)
    assert capped.try_admit() is None
    for ticket in tickets:
        capped.succeeded(ticket)
    assert capped.limit == 3  # successes never lift it past the cap
    assert [t.load for t in tickets] == [1, 2, 3]


def test_success_adds_about_one_slot_per_round_of_successes() -> None:
    limiter = Limiter(100, start=4)
    for ticket in admit(limiter, 4):
        limiter.succeeded(ticket)
    assert 4.9 < limiter.limit < 5.0  # 4 successes at ~1/4 each
    assert limiter.allowed == 4


def test_overload_cuts_the_load_it_was_sent_at_once_per_wave() -> None:
    assert 0.5 <= BACKOFF < 1
    limiter = Limiter()
    wave = admit(limiter, 40)
    limiter.overloaded(wave[-1])  # sent with 40 in flight
    assert limiter.limit == 40 * BACKOFF
    for ticket in wave[:-1]:  # the rest of the same wave: one signal, not 39
        limiter.overloaded(ticket)
    assert limiter.limit == 40 * BACKOFF and limiter.in_flight == 0
    later = admit(limiter, 6)
    limiter.overloaded(later[-1])
    assert limiter.limit == 6 * BACKOFF  # the new wave's load, not the old limit
    for ticket in later[:-1]:
        limiter.succeeded(ticket)
    for _ in range(5):
        limiter.overloaded(limiter.try_admit())
    assert limiter.limit == 1.0 and limiter.allowed == 1  # never below one


def test_a_lone_request_is_not_crowded() -> None:
    limiter = Limiter()
    first, second = admit(limiter, 2)
    assert not first.crowded and second.crowded


def test_retry_after_pauses_every_new_request() -> None:
    clock = Clock()
    limiter = Limiter(clock=clock)
    ticket = limiter.try_admit()
    limiter.overloaded(ticket, retry_after=2.0)
    assert limiter.try_admit() is None
    clock.now += 1.9
    assert limiter.try_admit() is None
    clock.now += 0.2
    assert limiter.try_admit() is not None


def test_an_overload_without_retry_after_does_not_pause() -> None:
    limiter = Limiter(clock=Clock())
    limiter.overloaded(limiter.try_admit())
    assert limiter.try_admit() is not None


def test_waiters_go_urgent_first_then_in_order_and_a_retry_keeps_its_place() -> None:
    async def go() -> list[str]:
        limiter = Limiter(1)
        held = await limiter.acquire()
        early = limiter.order()  # a request that queued first and is now retrying
        served: list[str] = []

        async def wait(name: str, priority: int, order: int | None = None) -> None:
            ticket = await limiter.acquire(priority, order)
            served.append(name)
            limiter.succeeded(ticket)

        tasks = [
            asyncio.create_task(wait("extract a", NORMAL)),
            asyncio.create_task(wait("extract b", NORMAL)),
            asyncio.create_task(wait("repair", URGENT)),
            asyncio.create_task(wait("extract retried", NORMAL, early)),
        ]
        await asyncio.sleep(0)
        assert served == []  # the slot is held
        limiter.succeeded(held)
        await asyncio.gather(*tasks)
        return served

    assert asyncio.run(go()) == ["repair", "extract retried", "extract a", "extract b"]


def test_a_paused_waiter_is_admitted_when_the_pause_ends() -> None:
    async def go() -> Limiter:
        limiter = Limiter()
        limiter.overloaded(limiter.try_admit(), retry_after=0.05)
        ticket = await asyncio.wait_for(limiter.acquire(), timeout=5)
        limiter.succeeded(ticket)
        return limiter

    assert asyncio.run(go()).in_flight == 0


def test_a_cancelled_waiter_leaks_no_slot() -> None:
    async def go() -> Limiter:
        limiter = Limiter(1)
        held = await limiter.acquire()
        waiter = asyncio.create_task(limiter.acquire())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
        limiter.succeeded(held)
        assert limiter.in_flight == 0
        ticket = await asyncio.wait_for(limiter.acquire(), timeout=5)
        limiter.succeeded(ticket)
        return limiter

    assert asyncio.run(go()).in_flight == 0
