"""Adaptive concurrency: how many model requests may be in flight at once.

AIMD, as TCP does it. Start wide (`START` requests, or the cap if lower); on an overload signal
(429, 503, a timeout) cut the load that request was sent at to `BACKOFF` of it (CUBIC's 0.7:
gentler than halving, so a server at its capacity stays nearly full), at most once per wave: a
burst of rejections from requests sent before the last cut is one signal, not fifty. Each
success grows the limit by 1/limit, about one more slot per round trip of successes, up to the
cap. A Retry-After holds every new request until it has passed, since a server that says "not
before T" means it for all of them.

Waiting requests are served by priority, then by arrival: a repair or the compose call (urgent)
goes before fresh extractions, so the critical path stays extraction → repair → compose →
compose repair however many articles are queued; a retried request keeps its place.

The logic is plain arithmetic on an injectable clock, tested deterministically; asyncio is
used only to park and wake waiters.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass

START = 128
"""Requests in flight before any signal: wide enough for a hundred articles in one round."""
CEILING = 512
"""The highest the limit grows without an explicit cap (well under a process's open files)."""
BACKOFF = 0.7
"""On overload the limit becomes this fraction of the load the rejected request was sent at."""
URGENT, NORMAL = 0, 1


@dataclass(frozen=True)
class Ticket:
    """One admitted request: the wave it was sent in and how many were in flight with it."""

    epoch: int
    load: int

    @property
    def crowded(self) -> bool:
        """Sent alongside others: an overload may be ours, not the request's fault."""
        return self.load > 1


class Limiter:
    """An AIMD limit on requests in flight, with priority waiting and Retry-After pauses."""

    def __init__(
        self,
        cap: int | None = None,
        *,
        start: int = START,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cap = cap if cap is not None else CEILING
        self.limit = float(min(start, self.cap))
        self.in_flight = 0
        self.paused_until = 0.0
        self._clock = clock
        self._epoch = 0
        self._order = itertools.count()
        self._waiters: list[tuple[int, int, asyncio.Future[Ticket]]] = []
        self._timer: asyncio.TimerHandle | None = None

    @property
    def allowed(self) -> int:
        """Requests that may be in flight now."""
        return max(1, int(self.limit))

    def order(self) -> int:
        """A place in line; pass it again when retrying to keep the place."""
        return next(self._order)

    # ------------------------------------------------------------------ pure bookkeeping

    def try_admit(self) -> Ticket | None:
        """A ticket if a request may leave now (a free slot and no pause), else None."""
        if self.in_flight >= self.allowed or self._clock() < self.paused_until:
            return None
        self.in_flight += 1
        return Ticket(self._epoch, self.in_flight)

    def succeeded(self, ticket: Ticket) -> None:
        """The server answered: one slot free, the limit a little higher."""
        self.in_flight -= 1
        self.limit = min(float(self.cap), self.limit + 1 / self.limit)
        self._wake()

    def overloaded(self, ticket: Ticket, retry_after: float | None = None) -> None:
        """429, 503 or a timeout: cut to a fraction of the load it was sent at (once per wave);
        pause every new request if the server said when to come back."""
        self.in_flight -= 1
        if ticket.epoch == self._epoch:
            self.limit = max(1.0, min(self.limit, ticket.load) * BACKOFF)
            self._epoch += 1
        if retry_after:
            self.paused_until = max(self.paused_until, self._clock() + retry_after)
        self._wake()

    def finished(self, ticket: Ticket) -> None:
        """An outcome that says nothing about load (a 400, a dropped connection): free the slot."""
        self.in_flight -= 1
        self._wake()

    # ------------------------------------------------------------------ waiting

    async def acquire(self, priority: int = NORMAL, order: int | None = None) -> Ticket:
        """Wait for a slot: urgent before normal, then in order of `order` (default: now)."""
        place = self.order() if order is None else order
        if not self._waiters:
            ticket = self.try_admit()
            if ticket is not None:
                return ticket
        future: asyncio.Future[Ticket] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, place, future))
        self._wake()
        try:
            return await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.finished(future.result())  # admitted as it was cancelled: give it back
            raise

    def _wake(self) -> None:
        """Admit waiters while slots are free; when paused, come back at the pause's end."""
        while self._waiters:
            if self._waiters[0][2].done():  # cancelled while waiting
                heapq.heappop(self._waiters)
                continue
            ticket = self.try_admit()
            if ticket is None:
                break
            heapq.heappop(self._waiters)[2].set_result(ticket)
        delay = self.paused_until - self._clock()
        if self._waiters and delay > 0 and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(delay, self._resume)

    def _resume(self) -> None:
        self._timer = None
        self._wake()
