"""Turning in-memory objects (text, dicts, figures, images) into artifact file bytes."""

from __future__ import annotations

import io
import json
from pathlib import PurePosixPath

from labtrack.errors import InvalidParameter


def _suffix(artifact_file: str) -> str:
    return PurePosixPath(artifact_file).suffix.lower().lstrip(".")


def dict_bytes(dictionary: dict, artifact_file: str) -> bytes:
    """JSON, or YAML for a .yaml/.yml file name (as MLflow's ``log_dict``)."""
    if not isinstance(dictionary, (dict, list)):
        raise InvalidParameter(f"log_dict takes a dict or list, got {type(dictionary).__name__}")
    if _suffix(artifact_file) in ("yaml", "yml"):
        try:
            import yaml
        except ImportError:
            raise InvalidParameter(
                "writing YAML needs PyYAML: pip install pyyaml (or use a .json file)"
            ) from None
        return yaml.safe_dump(dictionary, sort_keys=False).encode()
    return json.dumps(dictionary, indent=2, default=str).encode()


def figure_bytes(figure: object, artifact_file: str) -> bytes:
    """A matplotlib or plotly figure, in the format its file name asks for."""
    kind = type(figure).__module__.split(".")[0]
    suffix = _suffix(artifact_file)
    if kind == "matplotlib" and hasattr(figure, "savefig"):
        buffer = io.BytesIO()
        figure.savefig(buffer, format=suffix or "png", bbox_inches="tight")
        return buffer.getvalue()
    if kind == "plotly" and hasattr(figure, "to_json"):
        if suffix == "html":
            return figure.to_html(include_plotlyjs=True, full_html=True).encode()
        if suffix == "json":
            return figure.to_json().encode()
        try:
            return figure.to_image(format=suffix or "png")
        except (ValueError, ImportError, RuntimeError) as error:
            raise InvalidParameter(
                f"saving a plotly figure as .{suffix} needs kaleido ({error}); use a .html or .json file name"
            ) from None
    raise InvalidParameter(
        f"log_figure takes a matplotlib or plotly figure, got {type(figure).__module__}.{type(figure).__name__}"
    )


def image_bytes(image: object, artifact_file: str) -> bytes:
    """A PIL image or a numpy array (HxW, HxWx3 or HxWx4; uint8, or floats in [0, 1])."""
    try:
        from PIL import Image
    except ImportError:
        raise InvalidParameter("log_image needs Pillow: pip install pillow") from None
    if not isinstance(image, Image.Image):
        import numpy as np

        array = np.asarray(image)
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3, 4)):
            raise InvalidParameter(
                f"an image array must be HxW, HxWx1, HxWx3 or HxWx4; got shape {array.shape}"
            )
        if array.dtype.kind == "f":
            if array.size and (np.nanmin(array) < 0 or np.nanmax(array) > 1):
                raise InvalidParameter("a float image must have values in [0, 1]")
            array = (array * 255).round().astype(np.uint8)
        elif array.dtype != np.uint8:
            if array.size and (array.min() < 0 or array.max() > 255):
                raise InvalidParameter("an integer image must have values in [0, 255]")
            array = array.astype(np.uint8)
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        image = Image.fromarray(array)
    buffer = io.BytesIO()
    image.save(buffer, format=(_suffix(artifact_file) or "png").replace("jpg", "jpeg").upper())
    return buffer.getvalue()
