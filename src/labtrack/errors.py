"""The one error hierarchy. Each error carries a code that the server maps to an HTTP status."""

from __future__ import annotations


class LabtrackError(Exception):
    """Base of every error labtrack raises on purpose."""

    error_code = "INTERNAL_ERROR"
    http_status = 500


class InvalidParameter(LabtrackError, ValueError):
    """A value given by the caller is not acceptable (bad key, non-finite step, ...)."""

    error_code = "INVALID_PARAMETER_VALUE"
    http_status = 400


class InvalidFilter(InvalidParameter):
    """A filter string could not be parsed; the message names the position."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        if position is not None:
            pointer = f"\n  {text}\n  {' ' * position}^"
            message = f"{message} (at position {position}){pointer}"
        super().__init__(message)
        self.position = position


class NotFound(LabtrackError, LookupError):
    """What was asked for does not exist (a run, an experiment, a model version, ...)."""

    error_code = "RESOURCE_DOES_NOT_EXIST"
    http_status = 404


class AlreadyExists(LabtrackError):
    """A name is taken already: an experiment's (even a deleted one's) or a registered model's."""

    error_code = "RESOURCE_ALREADY_EXISTS"
    http_status = 409


class InvalidState(LabtrackError):
    """The operation conflicts with the current state (e.g. a param re-logged with a new value)."""

    error_code = "INVALID_STATE"
    http_status = 409


class SchemaError(LabtrackError):
    """The store's schema is newer than this labtrack, or is not a labtrack store at all."""

    error_code = "SCHEMA_MISMATCH"
    http_status = 500


class StoreError(LabtrackError):
    """The store's database cannot be used as it is (the message names the file and what
    to do). Not a transient failure: retrying the same operation gives the same error."""

    error_code = "STORE_UNUSABLE"
    http_status = 500


class CorruptStore(StoreError):
    """The store's file is damaged, truncated, or not a SQLite database at all."""

    error_code = "STORE_CORRUPT"


class ReadOnlyStore(StoreError):
    """The store can be read but not written (its file or folder is not writable by this
    user, or it was opened with ``?mode=ro``)."""

    error_code = "PERMISSION_DENIED"
    http_status = 403


class ExecutionFailed(LabtrackError):
    """A notebook or project entry point run by ``labtrack run`` failed; its run is recorded
    as FAILED (``run_id``), with the error and whatever output it produced."""

    error_code = "EXECUTION_FAILED"
    http_status = 500

    def __init__(self, message: str, run_id: str | None = None):
        super().__init__(message)
        self.run_id = run_id


# MLflow code catches MlflowException; let it catch ours unchanged.
MlflowException = LabtrackError
