"""matplotlib for files, not screens: the optional plotting dependency, imported on first use."""
from __future__ import annotations

from ..errors import EmofaceError


def pyplot(needed_by: str):
    """matplotlib.pyplot on the file-only Agg backend; EmofaceError naming `needed_by` (e.g.
    "les-plot needs") and the install command when matplotlib is missing."""
    try:
        import matplotlib
    except ImportError as exc:
        raise EmofaceError(f"{needed_by} matplotlib: pip install -e .[dev]") from exc
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt
