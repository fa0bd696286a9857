"""What the tests share, so that no test module imports another.

Helpers (import them): `api` (signed-in callers, JSON requests, reports), `bulletins`
(drafts and their requests), `evidence` (processed Media records, presigned uploads),
`auth` (sign-in through the SMS sink), `admin_site` (the whole stack for the browser
tests), `waiting` (polling until something is true).

Plugins (tests/conftest.py registers them with `pytest_plugins`; nothing here is
installed by importing a module): `contract` checks every answer of the chalice test
client against the OpenAPI document; `aws_calls` is the one counter of AWS API calls;
`local_api` starts `chalice local` on a free port.
"""
