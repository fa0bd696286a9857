"""The reporter hears that their report has news: a status change, a note addressed
to them, an officer's message. Called once the change is written. The reporters of a
primary's linked duplicates see its status and its notes to the reporter as their own
(chalicelib/reports/linking.py), so they hear of those too, each of their own report."""

from chalicelib.push import jobs
from chalicelib.storage import new_id


def tell_reporters(*reports: tuple[str, str]) -> None:
    """For each (report id, reporter id), queue one push to every device of the
    reporter (the event's id makes it one); one batch for them all."""
    jobs.send_after_change(*(jobs.ReportUpdate(new_id(), reporter_id, report_id)
                             for report_id, reporter_id in reports))
