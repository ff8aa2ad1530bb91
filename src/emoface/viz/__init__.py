"""viz: pictures for people (contact sheets; later, curves and side-by-side videos)."""
from .contact_sheet import contact_sheet, expression_grid, face_crop_box

__all__ = ["contact_sheet", "expression_grid", "face_crop_box"]
