"""Turning in-memory objects (text, dicts, figures, images, arrays) into artifact file bytes."""

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


def to_numpy(values: object, what: str):
    """``values`` (an array, a list, a torch tensor on any device, with or without grad) as a
    numpy array; ``InvalidParameter`` naming ``what`` if it is not one."""
    import numpy as np

    if type(values).__module__.split(".")[0] == "torch" and hasattr(values, "detach"):
        values = values.detach().cpu()
        if values.is_floating_point():
            values = values.float()  # numpy has no bfloat16
        values = values.numpy()
    try:
        return np.asarray(values)
    except (TypeError, ValueError) as error:
        raise InvalidParameter(f"{what} takes an array of numbers: {error}") from None


# Channel counts an image may have: grey, RGB, RGBA.
_CHANNELS = (1, 3, 4)


def image_bytes(image: object, artifact_file: str) -> bytes:
    """An image in the format its file name asks for (PNG by default): a PIL image, a
    matplotlib figure, or an array (numpy, torch tensor, nested lists) HxW, HxWxC or CxHxW with
    C in 1, 3, 4, uint8 or floats in [0, 1]. A 3-D torch tensor is read as CxHxW when its first
    dimension can be channels (torch's and torchvision's order), a numpy array as HxWxC.
    """
    try:
        from PIL import Image
    except ImportError:
        raise InvalidParameter("log_image needs Pillow: pip install pillow") from None
    if type(image).__module__.split(".")[0] == "matplotlib":
        if not hasattr(image, "savefig"):
            raise InvalidParameter(
                f"log_image takes a matplotlib Figure, got a {type(image).__name__}"
            )
        return figure_bytes(image, artifact_file)
    if not isinstance(image, Image.Image):
        import numpy as np

        is_torch = type(image).__module__.split(".")[0] == "torch"
        array = to_numpy(image, "log_image")
        if array.ndim == 3 and array.shape[0] in _CHANNELS:
            if is_torch or array.shape[2] not in _CHANNELS:
                array = np.moveaxis(array, 0, -1)  # CxHxW -> HxWxC
        if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in _CHANNELS):
            raise InvalidParameter(
                "an image array must be HxW, HxWxC or CxHxW with C in 1, 3 or 4; "
                f"got shape {array.shape}"
            )
        if array.dtype.kind == "f":
            if array.size and (np.nanmin(array) < 0 or np.nanmax(array) > 1):
                raise InvalidParameter("a float image must have values in [0, 1]")
            array = (array * 255).round().astype(np.uint8)
        elif array.dtype.kind in "iub":
            if array.size and (array.min() < 0 or array.max() > 255):
                raise InvalidParameter("an integer image must have values in [0, 255]")
            array = array.astype(np.uint8)
        else:
            raise InvalidParameter(f"an image array must hold numbers, got dtype {array.dtype}")
        if array.ndim == 3 and array.shape[2] == 1:
            array = array[:, :, 0]
        image = Image.fromarray(np.ascontiguousarray(array))
    buffer = io.BytesIO()
    image.save(buffer, format=(_suffix(artifact_file) or "png").replace("jpg", "jpeg").upper())
    return buffer.getvalue()
