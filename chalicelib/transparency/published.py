"""The transparency report as published: the counts of a span of months, each from 1
to 4 shown only as "fewer than 5"."""

from chalicelib import counters
from chalicelib.reports.bodies import ReportCategory
from chalicelib.transparency import SERIES, Act, name_of

# Counts from 1 to FEWER_THAN - 1 are shown as "fewer than FEWER_THAN".
FEWER_THAN = 5


def shown(value: int) -> dict:
    """A count as published: exact from 5 up and at 0; from 1 to 4, only "fewer than 5"."""
    if 0 < value < FEWER_THAN:
        return {"count": None, "fewer_than": FEWER_THAN}
    return {"count": value, "fewer_than": None}


def months(first: str, last: str) -> list[dict]:
    """The report of every month from `first` to `last` ("YYYY-MM", inclusive), oldest
    first: one Query for all of them."""
    counts = counters.read(SERIES, first, last)
    return [month_report(month, counts.get(month, {})) for month in _month_range(first, last)]


def month_report(month: str, counts: dict[str, int]) -> dict:
    return {
        "month": month,
        "reports_filed": {category.value: shown(counts.get(name_of(Act.REPORT_FILED, category), 0))
                          for category in ReportCategory},
        **{act.value: shown(counts.get(act.value, 0)) for act in Act
           if act is not Act.REPORT_FILED},
    }


def _month_range(first: str, last: str) -> list[str]:
    return [months_before(last, back) for back in range(_index(last) - _index(first), -1, -1)]


def months_before(month: str, count: int) -> str:
    """The month `count` months before `month`."""
    index = _index(month) - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _index(month: str) -> int:
    year, number = map(int, month.split("-"))
    return year * 12 + number - 1
