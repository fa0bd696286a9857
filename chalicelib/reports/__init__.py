"""Reports: citizens file them with evidence; officers triage them.

Modules: bodies (request contract), filing (citizen side), triage (officer side),
queue (the officers' queue across categories),
evidence (upload tickets, the worker's results, presigned GETs), views (who sees what),
nearby (possible duplicates by place, time and photo), linking (duplicates worked as
one case), store (shared helpers). The blueprints are chalicelib/api/reports.py and
chalicelib/api/admin_reports.py.

Keys (table `reports`, hash key report_id; every access one GetItem or a bounded number
of Queries):
- `by-reporter` GSI (reporter_id, created_at): a citizen's own reports, newest first.
- `queue` GSI (queue_key = "<status>#<category>", created_at): the triage queue.
  Splitting by category spreads the writes of new reports and status moves over eight
  partition keys per status instead of one hot "submitted" key. A page of one category
  is one Query; a page of every category is one Query per category, issued
  concurrently and merged by filing time, with a cursor per category (queue.py).
- `by-bulletin` GSI (bulletin_id, created_at), sparse: the clues given on a bulletin.
- `by-place` GSI (place_cell = geohash 6, occurred_at), sparse: reports near a place
  and time, a few Queries per lookup (nearby.py, chalicelib/geo.py).
- Notes and evidence summaries live on the report item, capped (50 notes, 10 evidence
  items), so the full view is one GetItem and the item stays under 400 KB.
Table `report-quota` (window = "<user id>#<hour>"): reports filed per clock hour.
"""

from chalicelib.reports.evidence import on_media_processed

__all__ = ["on_media_processed"]
