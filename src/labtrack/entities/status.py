"""Run status and lifecycle names, as MLflow spells them."""

from __future__ import annotations

from labtrack.errors import InvalidParameter


class RunStatus:
    """A run's status, as MLflow's strings: RUNNING, SCHEDULED, FINISHED, FAILED or KILLED.

    >>> lt.end_run(status=lt.RunStatus.FAILED)  # doctest: +SKIP
    """

    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    ALL = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    TERMINATED = (FINISHED, FAILED, KILLED)

    @classmethod
    def is_terminated(cls, status: str) -> bool:
        """Whether ``status`` means the run has ended (FINISHED, FAILED or KILLED)."""
        return status in cls.TERMINATED

    @staticmethod
    def to_string(status: str) -> str:
        """The status's name: statuses are already strings (kept for MLflow code)."""
        return status

    @classmethod
    def from_string(cls, status: str) -> str:
        """``status`` itself if it is a known status; raises ``InvalidParameter`` (a
        ``ValueError``) otherwise."""
        if status not in cls.ALL:
            raise InvalidParameter(f"unknown run status {status!r}; expected one of {cls.ALL}")
        return status


class LifecycleStage:
    """Whether a run or experiment is ``active`` or ``deleted`` (and so restorable)."""

    ACTIVE = "active"
    DELETED = "deleted"


class ViewType:
    """Which runs or experiments a search returns, by lifecycle stage."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def stages(cls, view_type: int) -> tuple[str, ...]:
        """The lifecycle stages a view type selects, e.g. ``('active',)`` for ACTIVE_ONLY."""
        return {
            cls.ACTIVE_ONLY: (LifecycleStage.ACTIVE,),
            cls.DELETED_ONLY: (LifecycleStage.DELETED,),
            cls.ALL: (LifecycleStage.ACTIVE, LifecycleStage.DELETED),
        }[view_type]
