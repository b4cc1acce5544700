"""The README stays true: every setting documented, the tool table current, the test command real."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

from quant_mcp.config import Settings
from quant_mcp.inventory import print_tool_table

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_setting_is_documented():
    missing = [f"QUANT_{name.upper()}" for name in Settings.model_fields if f"`QUANT_{name.upper()}`" not in README]
    assert not missing, f"README lacks: {missing}"


def test_tool_table_matches_the_catalog():
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_tool_table(Settings(_env_file=None), markdown=True)
    table = re.search(r"<!-- tools-table -->\n(.*?)\n<!-- /tools-table -->", README, re.S).group(1)
    assert table == out.getvalue().strip(), "regenerate it with `quant-mcp tools --markdown`"


def test_ci_runs_the_readme_test_command():
    command = re.search(r"```bash\n(python -m venv .*pytest)\n```", README).group(1)
    ci = (ROOT / ".ci" / "run").read_text()
    assert command.split("&& ")[-1] in ci and 'pip install --quiet -e ".[test]"' in ci
