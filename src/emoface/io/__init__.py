"""io: files at the package's edge (images now; video and audio writers reuse `atomic_output`)."""
from .images import (
    IMAGE_FORMATS,
    MAX_PIXELS,
    atomic_output,
    check_output_path,
    image_format,
    load_image,
    save_image,
)

__all__ = [
    "IMAGE_FORMATS", "MAX_PIXELS", "atomic_output", "check_output_path", "image_format",
    "load_image", "save_image",
]
