"""Where data that ships with linkgraph lives: `data/<name>` in a checkout, `graph/<name>` when installed.

The design card keeps the vocabulary and shapes in `data/`; pyproject maps those folders into the
package, so `pip install .` then a build from any folder finds them.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def data_dir(name: str) -> Path:
    """The installed copy of data/<name> inside the package, else the checkout's data/<name>."""
    packaged = Path(str(resources.files("graph"))) / name
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[1] / "data" / name
