"""The model registry's records: registered models, their versions, stages and history.

Names follow MLflow's entities, except that ``ModelVersion.version`` is an int (MLflow
returns a str); every registry call accepts either.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labtrack.entities.logged_model import MODEL_ID
from labtrack.entities.mlflow_object import MlflowObject
from labtrack.errors import InvalidParameter


def logged_model_id_of(source: str) -> str | None:
    """The logged model's id of a ``models:/<model_id>`` source (``m-`` and 32 hex digits),
    or None for any other source (``models:/<name>/<version>`` included)."""
    rest = source.removeprefix("models:/")
    return rest if rest != source and MODEL_ID.fullmatch(rest) else None


class ModelVersionStage:
    """MLflow's stages, spelled as MLflow stores them."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    ALL = (NONE, STAGING, PRODUCTION, ARCHIVED)
    # The stages whose other versions ``archive_existing_versions`` may archive.
    ACTIVE = (STAGING, PRODUCTION)

    @classmethod
    def canonical(cls, stage: object) -> str:
        """``"production"``, ``"PRODUCTION"`` -> ``"Production"``; anything else is refused."""
        if isinstance(stage, str):
            for name in cls.ALL:
                if stage.strip().lower() == name.lower():
                    return name
        raise InvalidParameter(f"unknown stage {stage!r}; expected one of {', '.join(cls.ALL)}")


class ModelVersionStatus:
    """A model version's status: always ``READY``, as versions are registered synchronously
    (MLflow also has ``PENDING_REGISTRATION`` and ``FAILED_REGISTRATION``)."""

    READY = "READY"


class RegistryAction:
    """What a history entry records (``RegistryEvent.action``)."""

    CREATE_MODEL = "create_model"
    RENAME_MODEL = "rename_model"
    UPDATE_MODEL = "update_model"
    DELETE_MODEL = "delete_model"
    SET_MODEL_TAG = "set_model_tag"
    DELETE_MODEL_TAG = "delete_model_tag"
    CREATE_VERSION = "create_version"
    UPDATE_VERSION = "update_version"
    DELETE_VERSION = "delete_version"
    SET_VERSION_TAG = "set_version_tag"
    DELETE_VERSION_TAG = "delete_version_tag"
    TRANSITION_STAGE = "transition_stage"
    SET_ALIAS = "set_alias"
    DELETE_ALIAS = "delete_alias"


@dataclass(frozen=True)
class ModelVersion(MlflowObject):
    """One version of a registered model: its ``source`` (where the model's files are),
    the ``run_id`` that logged it if any, its stage, aliases and tags. ``model_id`` is the
    logged model it registers (MLflow 3's ``m-...`` id), if any. Times are milliseconds
    since the epoch."""

    name: str
    version: int
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    user_id: str = ""
    current_stage: str = ModelVersionStage.NONE
    source: str = ""
    run_id: str | None = None
    status: str = ModelVersionStatus.READY
    status_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    run_link: str | None = None
    model_id: str | None = None


@dataclass(frozen=True)
class RegisteredModel(MlflowObject):
    """A named model. ``latest_versions`` holds the newest version in each stage that has
    one; ``aliases`` maps each alias to its version number."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str | None = None
    latest_versions: list[ModelVersion] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistryEvent(MlflowObject):
    """One change to the registry: who did what to which model (and version), when.

    ``key`` names the alias or tag a change is about. ``from_value`` and ``to_value`` hold
    what changed, e.g. the stages of a transition, the versions an alias pointed at, or a
    model's old and new names; None where there was none.
    """

    action: str
    name: str
    version: int | None
    key: str | None
    from_value: str | None
    to_value: str | None
    user_id: str
    timestamp: int
    comment: str | None = None
