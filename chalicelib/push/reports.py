"""The reporter hears that their report has news: a status change, a note addressed
to them, an officer's message. Called once the change is written."""

from chalicelib.push import jobs
from chalicelib.storage import new_id


def tell_reporter(report_id: str, reporter_id: str) -> None:
    """Queue one push to every device of the reporter (the event's id makes it one)."""
    jobs.send_after_change(jobs.ReportUpdate(new_id(), reporter_id, report_id))
