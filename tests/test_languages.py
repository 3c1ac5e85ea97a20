"""The language registry: the one place that names a language code."""

import ast
import re
from pathlib import Path

import pytest
from helpers import ROOT

from toolkit import errors, languages
from toolkit.apps.messages import error_text
from toolkit.apps.participant import ParticipantApp
from toolkit.errors import InvalidText
from toolkit.texts import t


def test_urdu_is_written_right_to_left_in_naskh():
    ur = languages.find("ur")
    assert (ur.direction, ur.font, ur.name) == ("rtl", "naskh", "اردو")
    assert languages.direction("ur") == "rtl" and languages.direction("en") == "ltr"


def test_an_unknown_code_is_named_with_the_known_ones():
    with pytest.raises(KeyError, match="unknown language 'xx' \\(use en, ur"):
        languages.find("xx")
    assert languages.get("xx") is None and languages.direction("xx") == "ltr"


@pytest.mark.parametrize("tag, code", [("ps", "ps"), ("PS", "ps"), ("ps-AF", "ps"), ("ps_af", "ps"), ("pus", "ps"),
                                       ("pbt", "ps"), ("prs", "prs"), ("fa-AF", "prs"), ("fa_af", "prs"),
                                       ("en_us", "en"), ("ur-PK", "ur"), ("fa", None), ("fa-IR", None), ("", None)])
def test_the_tags_other_tools_write_for_a_language_are_read_as_its_code(tag, code):
    """Moodle writes ps_af, ODK and KoboToolbox IANA codes (ps, prs), others ISO 639-2/3 (pus, pbt) or Dari as
    Persian of Afghanistan (fa-AF); Persian itself (fa) is not Dari."""
    assert languages.from_tag(tag) == code


def test_english_comes_first_and_is_not_among_the_others():
    assert languages.codes()[0] == "en"
    assert "en" not in languages.others() and "ur" in languages.others()


def test_pashto_and_dari_are_registered_right_to_left_in_naskh_as_drafts():
    for code, name in (("ps", "پښتو"), ("prs", "دری")):
        lang = languages.find(code)
        assert (lang.name, lang.direction, lang.font, lang.draft) == (name, "rtl", "naskh", True)
        assert lang.page_fonts == ("Noto Naskh Arabic",)
    assert languages.find("ur").page_fonts == ("Noto Nastaliq Urdu", "Noto Naskh Arabic")


def test_a_text_is_written_in_the_first_language_of_its_script():
    assert languages.font_for("ګلالۍ ځدراڼ") == "naskh" and languages.font_for("Bilal") == "serif"
    assert languages.written_in("فرحانہ") == "ur" and languages.written_in("Bilal") == "en"


# ---------------------------------------------------------------- no language code outside the registries

CODES = "|".join(languages.others())
OTHERS = set(languages.others())
LITERAL_CODE = re.compile(rf"""(?<![\w-])["']({CODES})["']""")
NAMED = "|".join(languages.english_name(code) for code in OTHERS)  # (English, every bank's, may be named)
ONE_LANGUAGES_COLUMN = re.compile(rf"(?<=[A-Za-z0-9])_({CODES})\b")  # text_ur, options_ps
HEADER = re.compile(rf"::\s*({NAMED})\b|\b({NAMED})\s*\((\w+)\)", re.IGNORECASE)  # label::Urdu, 'Urdu (ur)'
OTHER_NAME = re.compile(rf"(^|_)({NAMED})(_|$)", re.IGNORECASE)


def _docstrings(tree: ast.AST) -> set[int]:
    return {id(n.body[0].value) for n in ast.walk(tree)
            if isinstance(n, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and n.body
            and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}


def _identifier(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, (ast.arg, ast.keyword)):
        return node.arg
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return node.name
    return None


def names_a_language(source: str) -> list[tuple[int, str]]:
    """(line, what) of each place in `source` that names a language instead of asking toolkit/languages.py: a
    code other than English as a text (`"ur"`, `("en", "ur")`), a comparison with any code (`lang == "en"`),
    one language's column (`"text_ur"`, a variable `text_ur`), a language's name as a header (`label::Urdu`,
    `"Urdu (ur)"`), and a name for a language other than English (`urdu=True`). Docstrings may name them."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            text = node.value
            if text in OTHERS:
                found.append((node.lineno, f"the code {text!r}"))
            elif ONE_LANGUAGES_COLUMN.search(text):
                found.append((node.lineno, f"one language's column in {text[:40]!r}"))
            elif HEADER.search(text):
                found.append((node.lineno, f"a language's name in {text[:40]!r}"))
        elif isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                for c in (operand, *getattr(operand, "elts", ())):
                    if isinstance(c, ast.Constant) and languages.get(c.value if isinstance(c.value, str) else None):
                        found.append((node.lineno, f"compares with the code {c.value!r}"))
        name = _identifier(node)
        if name and (ONE_LANGUAGES_COLUMN.search(name) or OTHER_NAME.search(name)):
            found.append((node.lineno, f"the name {name}"))
    return found


CHECKED = (".py", ".js", ".j2", ".html", ".css")  # the modules, the page's scripts, the templates and their styles


def names_a_code(rel: str, source: str) -> list[str]:
    """"FILE:LINE: what" of each place in the file `rel` that names a language: a module by the rules of
    names_a_language, a script, template or style sheet by each line that holds a code as a text (`lang='ur'`,
    `{% if lang == 'ur' %}`)."""
    if rel.endswith(".py"):
        return [f"{rel}:{n}: {what}" for n, what in names_a_language(source)]
    return [f"{rel}:{n}: {line.strip()}" for n, line in enumerate(source.splitlines(), 1) if LITERAL_CODE.search(line)]


def test_no_module_outside_the_registry_names_a_language_code():
    found = []
    for path in sorted((ROOT / "toolkit").rglob("*")):
        rel = path.relative_to(ROOT).as_posix()
        if path.suffix in CHECKED and rel != "toolkit/languages.py":
            found += names_a_code(rel, path.read_text(encoding="utf-8"))
    assert found == [], "ask toolkit/languages.py instead"


@pytest.mark.parametrize("rel, source", [
    ("toolkit/templates/apps/x.html", "<p lang='ur'>{{ text }}</p>"),
    ("toolkit/templates/apps/x.html", "{% if lang == 'ur' %}<p dir=\"rtl\">{% endif %}"),
    ("toolkit/templates/report/x.css", "[lang=\"ps\"] { font-family: naskh; }"),
    ("toolkit/share/x.js", "if (lang === 'ur') {}"),
])
def test_the_check_reads_the_templates_and_styles_line_by_line(rel, source):
    assert Path(rel).suffix in CHECKED and names_a_code(rel, source) == [f"{rel}:1: {source}"]


@pytest.mark.parametrize("source", [
    'if lang == "ur":\n    pass\n',
    'LANGS = ("en", "ur")\n',
    'rtl = lang in ("ur", "ps", "prs")\n',
    'if lang != "en":\n    pass\n',
    'if "en" not in value:\n    pass\n',
    'plain = set(text) == {"en"}\n',
    'urdu = row["text_ur"]\n',
    'text_ps = row.get("text")\n',
    'header = "label::Urdu"\n',
    'column = f"label::Pashto ({code})"\n',
    'export.bank_level("GIFT", urdu=False)\n',
    'def bank_level(fmt, *, urdu):\n    pass\n',
    'URDU_FORMS = str.maketrans({})\n',
])
def test_the_check_finds_a_language_named(source):
    assert names_a_language(source)


@pytest.mark.parametrize("source", [
    'if languages.is_rtl(lang):\n    pass\n',
    'text = {"en": "Trafficking"}\n',  # a bank's English text (the registry's ENGLISH is its one required language)
    'klass = "tk-lang-" + lang\n',
    'prose = "prose"\n',
    'def f():\n    """Urdu (ur) and Pashto (ps) are right to left: label::Urdu."""\n',
    'FONT = "Noto Nastaliq Urdu"\n',  # a font's name
    'note = "Give the handouts in Urdu"\n',  # a text, not a header
    'column = f"text_{lang}"\n',
    'if lang == languages.ENGLISH:\n    pass\n',
    'tours = "tours"\n',
    'say("the question has no English (en) text")\n',  # English, the one language every bank has
])
def test_the_check_leaves_other_words_alone(source):
    assert names_a_language(source) == []


def test_the_check_for_a_language_code_finds_one():
    assert LITERAL_CODE.search('if lang == "ur":') and LITERAL_CODE.search("['en', 'ps']")
    assert not LITERAL_CODE.search('"tk-lang-ur"') and not LITERAL_CODE.search('"prose"')


# ---------------------------------------------------------------- the participant's page in their language


def test_a_pashto_address_gives_a_pashto_page_marked_right_to_left(session_with_pretest):
    store, session, _ = session_with_pretest
    app = ParticipantApp(store=store, query=f"code={session['join_code']}&lang=ps", start_polling=False)
    assert app.lang == "ps" and {"tk-rtl", "tk-lang-ps"} <= set(app._dom_classes)
    assert app.join_form.name_box.placeholder == t("name_help", "ps")
    typed = ParticipantApp(store=store, query="lang=ps", start_polling=False).join_form
    assert typed.continue_button.icon == "arrow-left"  # onward, right to left
    app.language.value = "en"
    assert "tk-rtl" not in app._dom_classes and "tk-lang-en" in app._dom_classes
    assert ParticipantApp(store=store, query="lang=xx", start_polling=False).lang == "en"  # unknown: English


def test_the_join_screen_offers_the_languages_of_the_sessions_banks_by_their_names(store, all_types_bank):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "Day 1")
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    assert [code for _name, code in app.language.options] == list(languages.codes())  # no bank yet: every one
    store.add_activity(session["id"], all_types_bank, "pretest")  # languages: [en, ur]
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    assert app.language.options == (("English", "en"), ("اردو", "ur"))
    app = ParticipantApp(store=store, query=f"code={session['join_code']}&lang=prs", start_polling=False)
    assert app.language.options == (("English", "en"), ("اردو", "ur"), ("دری", "prs"))  # and the page's own
    typed = ParticipantApp(store=store, query="", start_polling=False)  # the code typed: offered once found
    typed.join_form.code_box.value = session["join_code"]
    typed.join_form.continue_button.click()
    assert [code for _name, code in typed.language.options] == ["en", "ur"]


def _bank_in(tmp_path, bank_id: str, *codes: str):
    """A one-question bank in English and `codes`, as a trainer writes one."""
    from toolkit.bank import load_bank

    text = ", ".join(f"{c}: Q-{c}" for c in ("en", *codes))
    path = tmp_path / f"{bank_id}.yaml"
    path.write_text(f"format: 1\nid: {bank_id}\ntitle: {bank_id}\nkind: survey\nlanguages: [{', '.join(('en', *codes))}]\n"
                    f"objectives: [{{id: O1, text: One}}]\nquestions:\n  - {{id: q, type: open, text: {{{text}}}}}\n",
                    encoding="utf-8")
    return load_bank(path)


def test_a_pashto_bank_offers_english_and_pashto_and_a_tap_gives_the_pashto_page(store, tmp_path):
    workshop = store.add_workshop("W")
    session = store.add_session(workshop["id"], "Day 1")
    store.add_activity(session["id"], _bank_in(tmp_path, "pashto", "ps"), "pretest")
    app = ParticipantApp(store=store, query=f"code={session['join_code']}", start_polling=False)
    assert app.language.options == (("English", "en"), ("پښتو", "ps"))  # not Urdu, nor Dari
    app.language.value = "ps"
    assert app.lang == "ps" and {"tk-rtl", "tk-lang-ps"} <= set(app._dom_classes)
    assert app.join_form.name_box.placeholder == t("name_help", "ps")
    store.add_activity(session["id"], _bank_in(tmp_path, "dari", "prs"), "posttest")  # a second bank, in Dari
    typed = ParticipantApp(store=store, query="", start_polling=False)
    typed.join_form.code_box.value = session["join_code"]
    typed.join_form.continue_button.click()
    assert typed.language.options == (("English", "en"), ("پښتو", "ps"), ("دری", "prs"))


def test_a_bank_with_pashto_texts_its_languages_do_not_list_says_so_at_the_first(tmp_path):
    from toolkit.bank import load_bank

    path = tmp_path / "b.yaml"
    path.write_text("format: 1\nid: b\ntitle: B\nkind: survey\nobjectives: [{id: O1, text: One}]\nquestions:\n"
                    "  - id: q\n    type: open\n    text:\n      en: Why?\n      ps: ولې؟\n"
                    "  - {id: r, type: open, text: {en: 'How?', ps: څنګه}}\n", encoding="utf-8")
    bank = load_bank(path)
    assert bank.languages == ("en",)  # what the join screen offers: the texts are not offered until listed
    assert bank.warnings == (f"{path}:11: a text in Pashto (ps), but the bank's 'languages' does not list ps: "
                             "participants are not offered Pashto; write languages: [en, ps]",)


def test_a_refused_save_on_an_urdu_page_says_why_in_urdu(session_with_pretest):
    store, session, activity = session_with_pretest
    app = ParticipantApp(store=store, query=f"code={session['join_code']}&lang=ur", start_polling=False)
    app.join_form.consent_box.value = True
    app.join_form.join_button.click()
    store.close_activity(activity["id"])
    app.input.choose(True)
    assert app.message.value == f"<div class='tk-problem'>{t('closed_not_saved', 'ur')}</div>"
    assert "closed" not in app.message.value  # not the store's English words
    assert store.latest_answers(app.attempt["id"]) == {}


def test_a_refused_join_field_is_named_in_the_persons_language(session_with_pretest):
    store, session, _ = session_with_pretest
    app = ParticipantApp(store=store, query=f"code={session['join_code']}&lang=prs", start_polling=False)
    form = app.join_form
    refused = InvalidText("Please keep the name to 100 characters.", "display_name", "too_long", 100)
    assert error_text(refused, "prs") == t("text_too_long", "prs", what=t("field_display_name", "prs"), limit=100)
    form.consent_box.value = True
    form.name_box.value = "\x00"  # a character no database stores: the store refuses it
    form.join_button.click()
    said = t("text_characters", "prs", what=t("field_display_name", "prs"))
    assert form.message.value == f"<div class='tk-problem'>{said}</div>"


NAMED_ERRORS = [cls for cls in vars(errors).values()
                if isinstance(cls, type) and issubclass(cls, errors.StoreError) and cls is not errors.StoreError]


@pytest.mark.parametrize("cls", NAMED_ERRORS, ids=lambda c: c.__name__)
def test_every_named_error_has_a_text_of_its_own_in_every_language(cls):
    if cls is errors.InvalidText:
        made = [cls("English words", "display_name", reason, 100) for reason in ("too_long", "characters", "missing")]
    elif issubclass(cls, errors.TooFast):
        made = [cls("English words", retry_after=90)]
    elif cls is errors.TransitionNotAllowed:
        made = [cls("English words", "open", "draft")]
    else:
        made = [cls("English words")]
    for error in made:
        for saving in (False, True):
            shown = {code: error_text(error, code, saving=saving) for code in languages.codes()}
            assert "English words" not in "".join(shown.values())
            assert error_text(error, "en", saving=saving) != t("answer_refused" if saving else "refused", "en")
            others = [code for code in languages.others() if shown[code] == shown["en"]]
            assert others == [], f"{cls.__name__}: English on a page in {others}"


def test_the_pages_the_server_answers_by_itself_are_in_every_language_each_in_its_direction():
    from toolkit.voila_app import plain_page

    page = plain_page("room_full")
    for code in languages.codes():
        marked = f'<h1 dir="{languages.direction(code)}" lang="{code}">{t("room_full_title", code)}</h1>'
        assert marked in page
