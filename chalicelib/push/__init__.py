"""Push notifications through Amazon SNS mobile push, and district alerts.

The API never calls SNS. A change that should reach a phone (a report's status, a note
to the reporter, an officer's message, an alerted bulletin) is written as usual, then
a job goes on the push queue (jobs.py); the push worker (worker.py, its Lambda entry
point handler.py) makes the SNS calls. A job may be delivered twice: each push of an
event to a device is claimed first (PushReceipt, a conditional put), so it goes out
once.

Devices (devices.py): PUT /me/devices/{installation_id} stores the installation's
token; the worker then makes or mends its SNS platform endpoint the way AWS's
"Mobile token management" pseudo-code says (create once; update a changed token or a
disabled endpoint). A push that SNS refuses as disabled or unknown removes the device.

Alerts (alerts.py, audience.py): a citizen chooses (category, district) pairs; the
worker keeps one AlertAudience row per chosen pair per device, in shards. An alert is
a paged fan-out: one job per shard Queries a page of rows, queues the next page, and
publishes to each row's endpoint. No SNS topics: a topic would need a Subscribe per
device per pair kept in step with every device and choice change, and could not give
each device its own locale.
"""
