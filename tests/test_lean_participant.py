"""The participant kernel stays lean: no pandas or plotting library on that path."""

import json
import subprocess
import sys


def test_the_participant_app_imports_no_pandas_or_plotting_library(tmp_path):
    code = (
        "import sys, json\n"
        "from toolkit.apps.participant import ParticipantApp\n"
        "from toolkit.store import Store\n"
        f"app = ParticipantApp(store=Store('sqlite:///{tmp_path}/t.db'), query='', start_polling=False)\n"
        "print(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert "toolkit" in loaded and "ipywidgets" in loaded
    assert not loaded & {"pandas", "numpy", "matplotlib", "plotly", "bqplot", "scipy", "altair"}
