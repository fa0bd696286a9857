"""Sign-in by SMS code, sessions and roles: the domain behind /auth, /me and
/admin/officers. No Chalice here; the blueprints in chalicelib/api/ call these.

- phones: parsing a number into E.164 and deciding whether it may receive codes.
- limits: the send limits (per number, per client IP, per number prefix).
- codes: sending a code, spending a verify attempt, consuming the code.
- sessions: refresh-token families (rotation, reuse detection, revocation).
- accounts: sign-in, the profile, account deletion, granting and revoking roles.
"""
