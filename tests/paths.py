"""Where things are, for tests in any folder: the checkout, its source, the shared data.

`shared/` sits beside the checkout (CI has it there too); tests that need it skip with
the reason when it is absent.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
SHARED = ROOT.parent / "shared"
SHARED_DATA = SHARED / "data"
