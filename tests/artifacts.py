"""Where the suite saves what people look at after a run: screenshots, rendered emails, the e-tickets' PDF page.

`test-artifacts/` at the top of the checkout (git-ignored), or the folder `TICKETSHOW_TEST_ARTIFACTS` names: `.ci/run`
runs the PostgreSQL suite beside the SQLite one and gives it a folder of its own, so neither overwrites the other's
pictures while it is still taking them.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(os.environ.get('TICKETSHOW_TEST_ARTIFACTS') or ROOT / 'test-artifacts').resolve()
