"""Periods of the oversight reports: the span a report covers, the one before it, and the windows derived
from it (objectives, trend charts).

A **period** is half-open, ``[start, end)``, in naive UTC; its **previous period** is the one of the same
length just before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from cop.extensions import utcnow

PERIOD_CHOICES = (7, 30, 90)
DEFAULT_PERIOD = 30
MAX_PERIOD_DAYS = 366
# Objectives are always measured over the 30 days up to the end of the period shown,
# so a target ("40 posts", "median reply under 4 h") means the same whatever the period.
OBJECTIVE_WINDOW = timedelta(days=30)
MIN_TREND_WEEKS = 12
# Reports and portfolios of "the last N days" reuse figures computed this many seconds ago at most.
REUSE_SECONDS = 300


@dataclass(frozen=True)
class Period:
    """A half-open span of time ``[start, end)`` in naive UTC."""

    start: datetime
    end: datetime

    @classmethod
    def last(cls, days: int, now: datetime | None = None) -> Period:
        """The ``days`` days up to ``now`` (default: this instant)."""
        end = now or utcnow()
        return cls(end - timedelta(days=days), end)

    @classmethod
    def custom(cls, start_date: date, end_date: date) -> Period:
        """From the midnight starting ``start_date`` to the midnight ending ``end_date`` (inclusive).

        :raise ValueError: the end date is before the start date.
        """
        if end_date < start_date:
            raise ValueError("The end date is before the start date.")
        return cls(datetime.combine(start_date, time()), datetime.combine(end_date + timedelta(days=1), time()))

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(self.start - self.length, self.start)

    @property
    def length(self) -> timedelta:
        return self.end - self.start

    @property
    def days(self) -> float:
        return self.length / timedelta(days=1)

    @property
    def last_day(self) -> date:
        """The last calendar day the period touches."""
        return (self.end - timedelta(microseconds=1)).date()


def objective_window(period: Period) -> Period:
    return Period(period.end - OBJECTIVE_WINDOW, period.end)


def trend_window(period: Period) -> tuple[Period, int]:
    """The weeks a trend chart covers: at least 12, ending with the period; (window, number of weeks)."""
    weeks = max(MIN_TREND_WEEKS, math.ceil(period.days / 7 - 1e-9))
    return Period(period.end - timedelta(weeks=weeks), period.end), weeks
