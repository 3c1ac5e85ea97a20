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


def test_a_whole_quiz_imports_nothing_the_fork_template_has_not(sqlite_store, all_types_bank, tmp_path):
    # toolkit.forking.preload is what every forked kernel finds imported; a module a participant's page, join or
    # answers import later is imported (and, without cached bytecode, compiled) again in each kernel.
    workshop = sqlite_store.add_workshop("W", place="Quetta")
    session = sqlite_store.add_session(workshop["id"], "Day 1")
    activity = sqlite_store.add_activity(session["id"], all_types_bank, "pretest")
    sqlite_store.open_activity(activity["id"])
    code = (
        "import sys, json\n"
        "from toolkit import forking\n"
        "forking.preload()\n"
        "at_fork = set(sys.modules)\n"
        "from toolkit.store import Store\n"
        "from toolkit.apps.participant import ParticipantApp\n"
        f"store = Store('sqlite:///{tmp_path}/toolkit.db')\n"
        f"app = ParticipantApp(store=store, query='code={session['join_code']}', start_polling=False)\n"
        "app.join_form.name_box.value = 'Ayesha'\n"
        "app.join_form.consent_box.value = True\n"
        "app.join_form.join_button.click()\n"
        "answered = 0\n"
        f"for _ in range({len(all_types_bank.questions)}):\n"
        "    box = getattr(app.input, 'box', None)\n"
        "    if box is not None:\n"
        "        box.value = '18'\n"
        "        answered += 1\n"
        "    app.next.click()\n"
        "app.submit_button.click()\n"
        "app.confirm_yes.click()\n"
        "assert store.find_attempt(app.attempt['id'])['submitted_at'] is not None\n"
        "print(json.dumps([answered, sorted(set(sys.modules) - at_fork)]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    answered, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert answered == 2  # the number and the open question were typed into, and saved on the way
    assert imported == []
