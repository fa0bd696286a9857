"""Who a caller can be. A role travels in the access token and sits on the User item."""

from enum import StrEnum


class Role(StrEnum):
    CITIZEN = "citizen"   # everyone who signs up
    OFFICER = "officer"   # works the queue, publishes bulletins
    ADMIN = "admin"       # an officer who also grants roles and reveals identities


STAFF = (Role.OFFICER, Role.ADMIN)
ANYONE_SIGNED_IN = tuple(Role)
# An audit event's actor is a role, or the app itself (the bootstrap-admin setting).
ActorRole = StrEnum("ActorRole", {**{role.name: role.value for role in Role},
                                  "SYSTEM": "system"})
