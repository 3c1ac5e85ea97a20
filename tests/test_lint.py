"""The code passes the project's linter (ruff, configured in pyproject.toml), so that CI catches what a helper's
own run of a few test files does not: unsorted imports, zip() without strict=, unused names."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing_in_the_package_its_tests_and_benchmarks():
    ruff = shutil.which("ruff") or shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.fail("ruff is not installed: it is in the test extras (pip install -e '.[test]')")
    done = subprocess.run([ruff, "check", "--output-format", "concise", "toolkit", "tests", "benchmarks"],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
