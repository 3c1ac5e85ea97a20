"""The README's Layout table names every module of the package, so that a newcomer finds where a rule lives."""

from __future__ import annotations

import re

from helpers import ROOT


def named_in_layout() -> set[str]:
    """Module paths (relative to toolkit/) named in the first cell of the Layout table's rows. A name without a
    folder in a cell belongs to the folder of the cell's first name (`questions/single.py`, `multiple.py`)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    named = set()
    for row in layout.splitlines():
        if not row.startswith("| `"):
            continue
        names = re.findall(r"`([^`]+\.py)`", row.split("|")[1])
        folder = ""
        for i, name in enumerate(names):
            name = name.removeprefix("toolkit/")
            if i == 0 and "/" in name:
                folder = name.rsplit("/", 1)[0] + "/"
            named.add(name if "/" in name else folder + name)
    return named


def test_the_layout_table_names_every_module():
    modules = {p.relative_to(ROOT / "toolkit").as_posix() for p in (ROOT / "toolkit").rglob("*.py")
               if "migrations/versions" not in p.as_posix()}
    named = named_in_layout()
    assert sorted(modules - named) == [], "modules the README's Layout table does not name"
    assert sorted(named - modules) == [], "names in the README's Layout table that are no module"
