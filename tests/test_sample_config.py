"""The commented sample configuration (``yujing/default.toml``, what the demo runs) is written from the settings
models by ``scripts/sample_config.py``: a field added to a model without regenerating the sample would be missing
from the file operators copy (it had drifted: three fields missing, comments out of date)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_sample_configuration_is_what_the_settings_say():
    made = subprocess.run([sys.executable, str(ROOT / "scripts" / "sample_config.py")], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    assert made == (ROOT / "yujing" / "default.toml").read_text(encoding="utf-8"), \
        "run: python scripts/sample_config.py > yujing/default.toml"
