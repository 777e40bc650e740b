"""The ``MLmodel`` file every saved model folder carries: which flavors can load it, with
which library versions, its signature, its input example, and where it came from.

The YAML layout is MLflow's (``flavors``, ``signature``, ``saved_input_example_info``,
``model_uuid``, ``run_id``, ``model_id``, ``utc_time_created``), so each tool can read the
other's folders; labtrack adds ``labtrack_version``.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from labtrack.errors import InvalidParameter, NotFound
from labtrack.models.signature import ModelSignature

METADATA_FILE = "MLmodel"
REQUIREMENTS_FILE = "requirements.txt"
PYFUNC = "python_function"  # MLflow's name for the flavor every model can be loaded as


@dataclass
class ModelMetadata:
    """The parsed ``MLmodel`` file (MLflow's ``Model``). ``model_id`` is the logged model
    the files belong to (MLflow 3's ``m-...`` id), if ``log_model`` wrote them."""

    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    artifact_path: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    utc_time_created: str = field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).strftime(
            "%Y-%m-%d %H:%M:%S.%f"
        )
    )
    labtrack_version: str | None = None
    metadata: dict[str, Any] | None = None

    def get_input_schema(self):
        return self.signature.inputs if self.signature else None

    def get_output_schema(self):
        return self.signature.outputs if self.signature else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["signature"] = self.signature.to_dict() if self.signature else None
        return {key: value for key, value in data.items() if value is not None}

    def save(self, folder: str | Path) -> None:
        import yaml

        text = yaml.safe_dump(self.to_dict(), sort_keys=False, default_flow_style=False)
        (Path(folder) / METADATA_FILE).write_text(text)

    @classmethod
    def load(cls, folder: str | Path) -> ModelMetadata:
        """Read ``folder/MLmodel`` (or the ``MLmodel`` file itself); a clear error when the
        folder holds no saved model."""
        import yaml

        path = Path(folder)
        path = path if path.name == METADATA_FILE and path.is_file() else path / METADATA_FILE
        if not path.is_file():
            raise NotFound(f"{str(folder)!r} is not a saved model: it has no {METADATA_FILE} file")
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as error:
            raise InvalidParameter(f"{path} is not valid YAML: {error}") from None
        signature = data.get("signature")
        known = {name for name in cls.__dataclass_fields__}
        fields = {key: value for key, value in data.items() if key in known and key != "signature"}
        return cls(**fields, signature=ModelSignature.from_dict(signature) if signature else None)
