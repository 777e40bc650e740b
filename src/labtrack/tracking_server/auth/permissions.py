"""MLflow's permissions, as its basic-auth app defines them: what each lets a user do with
one experiment (and its runs) or one registered model (and its versions).

========== ==== ====== ====== ======
permission read update delete manage
========== ==== ====== ====== ======
READ       yes  no     no     no
EDIT       yes  yes    no     no
MANAGE     yes  yes    yes    yes
NO_PERMISSIONS no  no  no     no
========== ==== ====== ====== ======

Reading covers gets, searches, metric histories and artifact downloads; updating covers
logging to runs, creating runs and model versions, tags, aliases, stages, artifact uploads;
deleting covers deleting and restoring; managing covers changing who may do what.
"""

from __future__ import annotations

from dataclasses import dataclass

from labtrack.errors import InvalidParameter

# What a route needs of a resource (``rules.py``).
READ_ACCESS, UPDATE_ACCESS, DELETE_ACCESS, MANAGE_ACCESS = "read", "update", "delete", "manage"


@dataclass(frozen=True)
class Permission:
    """A named set of capabilities on one resource."""

    name: str
    can_read: bool
    can_update: bool
    can_delete: bool
    can_manage: bool

    def allows(self, capability: str) -> bool:
        """Whether this permission grants ``capability`` (``read``, ``update``, ...)."""
        return getattr(self, f"can_{capability}")


READ = Permission("READ", True, False, False, False)
EDIT = Permission("EDIT", True, True, False, False)
MANAGE = Permission("MANAGE", True, True, True, True)
NO_PERMISSIONS = Permission("NO_PERMISSIONS", False, False, False, False)

PERMISSIONS = {p.name: p for p in (READ, EDIT, MANAGE, NO_PERMISSIONS)}


def get_permission(name: str) -> Permission:
    """The permission called ``name`` (case-insensitive); ``InvalidParameter`` names the
    valid ones otherwise."""
    permission = PERMISSIONS.get(str(name).upper())
    if permission is None:
        raise InvalidParameter(f"unknown permission {name!r}: use one of {', '.join(PERMISSIONS)}")
    return permission
