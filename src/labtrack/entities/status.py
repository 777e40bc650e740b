"""Run status and lifecycle names, as MLflow spells them."""

from __future__ import annotations


class RunStatus:
    RUNNING = "RUNNING"
    SCHEDULED = "SCHEDULED"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    KILLED = "KILLED"

    ALL = (RUNNING, SCHEDULED, FINISHED, FAILED, KILLED)
    TERMINATED = (FINISHED, FAILED, KILLED)

    @classmethod
    def is_terminated(cls, status: str) -> bool:
        return status in cls.TERMINATED

    @staticmethod
    def to_string(status: str) -> str:
        return status

    @classmethod
    def from_string(cls, status: str) -> str:
        if status not in cls.ALL:
            raise ValueError(f"unknown run status {status!r}; expected one of {cls.ALL}")
        return status


class LifecycleStage:
    ACTIVE = "active"
    DELETED = "deleted"


class ViewType:
    """Which runs or experiments a search returns, by lifecycle stage."""

    ACTIVE_ONLY = 1
    DELETED_ONLY = 2
    ALL = 3

    @classmethod
    def stages(cls, view_type: int) -> tuple[str, ...]:
        return {
            cls.ACTIVE_ONLY: (LifecycleStage.ACTIVE,),
            cls.DELETED_ONLY: (LifecycleStage.DELETED,),
            cls.ALL: (LifecycleStage.ACTIVE, LifecycleStage.DELETED),
        }[view_type]
