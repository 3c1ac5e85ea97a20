"""Certificates: who gets one, the PDF's text (Urdu shaped and in order), ids and codes that verify."""

from __future__ import annotations

import csv
import io
import stat
from datetime import date

import pytest
from click.testing import CliRunner
from helpers import by_place

from toolkit.certificates import (
    FONTS,
    CertificateError,
    certificate_id,
    completed,
    load_secret,
    make_certificates,
    verification_code,
    verify,
)
from toolkit.cli_reports import certificates, verify_certificate
from toolkit.results import load_results

pypdf = pytest.importorskip("pypdf")
URDU_NAME = "فرحانہ بی بی"
PASHTO_NAME = "ګلالۍ ځدراڼ"


@pytest.fixture
def workshop(sqlite_store, all_types_bank):
    """Four joined: an Urdu name and a Latin one submit the post-test, one without a name too, one never submits."""
    store = sqlite_store
    w = store.add_workshop("Victim identification", place="Quetta", starts_on=date(2026, 11, 24),
                           ends_on=date(2026, 11, 25), organiser="Provincial training college")
    session = store.add_session(w["id"], "Day 1")
    post = store.add_activity(session["id"], all_types_bank, "posttest")
    people = {name: store.join(session["join_code"], name) for name in (URDU_NAME, "Bilal Ahmed", "", "Late Comer")}
    store.open_activity(post["id"])
    for name, p in people.items():
        attempt = store.start_attempt(post["id"], p["id"])
        store.save_answer(attempt["id"], "consent", True)
        if name != "Late Comer":
            store.submit_attempt(attempt["id"])
    return store, session, people


def read_register(path) -> list[dict]:
    with open(path, encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def pdf_text(path) -> str:
    return " ".join(pypdf.PdfReader(path).pages[0].extract_text().split())


def test_one_certificate_per_named_participant_who_submitted_the_post_test(workshop, tmp_path):
    store, session, people = workshop
    made = make_certificates(store, session["id"], tmp_path / "out", data_dir=tmp_path / "data")
    assert sorted(c.name for c in made) == sorted(["Bilal Ahmed", URDU_NAME])  # no name: nothing to print on it
    assert len(completed(store, session["workshop_id"])) == 3
    assert {p.name for p in (tmp_path / "out").iterdir()} == {c.path.name for c in made} | {"certificates.csv"}
    register = read_register(tmp_path / "out" / "certificates.csv")
    assert {r["certificate_id"]: r["verification_code"] for r in register} == {c.certificate_id: c.code for c in made}
    bilal = next(c for c in made if c.name == "Bilal Ahmed")
    text = pdf_text(bilal.path)
    for expected in ("Certificate of completion", "Bilal Ahmed", "Victim identification", "held in Quetta, 24–25 "
                     "November 2026", "Organised by Provincial training college", bilal.certificate_id, bilal.code):
        assert expected in text
    assert "DEMO" not in text  # only demo workshops carry the mark


def test_an_urdu_name_is_shaped_joined_and_in_reading_order(workshop, tmp_path):
    from fontTools.ttLib import TTFont

    store, session, _people = workshop
    made = make_certificates(store, session["id"], tmp_path, data_dir=tmp_path)
    urdu = next(c for c in made if c.name == URDU_NAME)
    assert URDU_NAME in pdf_text(urdu.path)  # the text reads back in logical order, letter by letter
    page = pypdf.PdfReader(urdu.path).pages[0]
    fonts = {f.get_object()["/BaseFont"].split("+")[-1]: f.get_object() for f in page["/Resources"]["/Font"].values()}
    bold = fonts["NotoNaskhArabicBold"]["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    glyphs = set(TTFont(io.BytesIO(bold["/FontFile2"].get_object().get_data())).getGlyphOrder())
    # HarfBuzz chose the joined forms: feh, hah, noon, beh initial; reh, alef, heh goal, farsi yeh final
    joined = {"uniFED3", "uniFEA3", "uniFEE7", "uniFE91", "uniFEAE", "uniFE8E", "uniFBA7", "uniFBFD"}
    assert joined <= glyphs
    assert not {"uni0641", "uni062D", "uni0646", "uni0628"} & glyphs  # no letter left in its isolated form


def test_a_pashto_name_is_drawn_in_the_naskh_font_with_its_letters_joined(sqlite_store, all_types_bank, tmp_path):
    from fontTools.ttLib import TTFont

    store = sqlite_store
    w = store.add_workshop("Victim identification", place="Jalalabad", starts_on=date(2026, 11, 24))
    session = store.add_session(w["id"], "Day 1")
    post = store.add_activity(session["id"], all_types_bank, "posttest")
    store.open_activity(post["id"])
    person = store.join(session["join_code"], PASHTO_NAME)
    store.submit_attempt(store.start_attempt(post["id"], person["id"])["id"])
    [made] = make_certificates(store, session["id"], tmp_path, data_dir=tmp_path)
    assert PASHTO_NAME in pdf_text(made.path)
    page = pypdf.PdfReader(made.path).pages[0]
    fonts = {f.get_object()["/BaseFont"].split("+")[-1]: f.get_object() for f in page["/Resources"]["/Font"].values()}
    bold = fonts["NotoNaskhArabicBold"]["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    embedded = outlines(TTFont(io.BytesIO(bold["/FontFile2"].get_object().get_data())))
    bundled = outlines(TTFont(FONTS / "NotoNaskhArabic-Bold.ttf"))  # the subset renames the forms it keeps
    # HarfBuzz chose the joined forms of letters Urdu lacks: gaf with ring and dzeh initial, yeh with tail final
    joined = ("uni06AB.init", "uni0681.init", "uni06CD.fina")
    assert [name for name in joined if bundled[name] not in embedded.values()] == []
    isolated = ("uni06AB", "uni0681", "uni06CD")  # no letter left in its isolated form
    assert [name for name in isolated if bundled[name] in embedded.values()] == []


def outlines(font) -> dict[str, tuple]:
    """Each glyph's outline (its points), by glyph name."""
    glyf = font["glyf"]
    return {name: tuple(glyf[name].getCoordinates(glyf)[0]) for name in font.getGlyphOrder()}


def test_ids_are_stable_and_codes_verify_with_the_data_folders_secret(workshop, tmp_path):
    store, session, people = workshop
    first = make_certificates(store, session["id"], tmp_path / "a", data_dir=tmp_path)
    again = make_certificates(store, session["id"], tmp_path / "b", data_dir=tmp_path)
    assert [(c.certificate_id, c.code) for c in first] == [(c.certificate_id, c.code) for c in again]
    assert len({c.certificate_id for c in first}) == len(first)
    secret_file = tmp_path / "certificate-secret"
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    cert = first[0]
    assert cert.certificate_id == certificate_id(session["workshop_id"], cert.participant_id)
    assert cert.code == verification_code(load_secret(tmp_path), cert.certificate_id, cert.participant_id)
    ok = verify(store, cert.certificate_id.lower(), cert.code.replace("-", " "), tmp_path)  # as a person types it
    assert ok["valid"] and ok["name"] == cert.name and ok["place"] == "Quetta"
    assert not verify(store, cert.certificate_id, first[1].code, tmp_path)["valid"]
    assert verify(store, "TK-AAAA-BBBB-CCCC", cert.code, tmp_path)["reason"].startswith("No certificate")
    other = tmp_path / "elsewhere"
    load_secret(other)  # another laptop's secret makes other codes
    assert not verify(store, cert.certificate_id, cert.code, other)["valid"]
    with pytest.raises(CertificateError):
        verify(store, cert.certificate_id, cert.code, tmp_path / "no-secret-here")
    with pytest.raises(CertificateError):
        make_certificates(store, session["id"], tmp_path / "c", rule="finished-lunch", data_dir=tmp_path)


def test_attended_rule_over_a_cohorts_sessions_and_the_demo_mark(series, tmp_path):
    results = load_results(series)
    cohort = by_place(results, "Islamabad")
    workshop_id = cohort.workshops["workshop_id"].iloc[0]
    all_three = set(cohort.participants.loc[cohort.participants["sessions_attended"] == 3, "participant_id"])
    assert {p["id"] for p in completed(series, workshop_id, "attended-3")} == all_three and len(all_three) == 20
    assert len(completed(series, workshop_id, "attended-2")) == 22
    made = make_certificates(series, None, tmp_path, rule="attended-3", data_dir=tmp_path, workshop_id=workshop_id)
    assert len(made) == 20
    text = pdf_text(made[0].path)
    assert "DEMO DATA: NOT A REAL CERTIFICATE" in text and "attending 3 of its 3 sessions" in text


def test_certificates_and_verify_commands(series, tmp_path):
    data = series.sqlite_path.parent
    quetta = series.list_sessions()[-1]
    out = tmp_path / "certs"
    run = CliRunner().invoke(certificates, ["--session", quetta["join_code"], "--out", str(out), "--data", str(data)])
    assert run.exit_code == 0, run.output
    assert "Made 21 certificates" in run.output  # 24 came, 2 left before the post-test, 1 never submitted
    assert f"{data / 'certificate-secret'}" in run.output
    row = read_register(out / "certificates.csv")[0]
    ok = CliRunner().invoke(verify_certificate, [row["certificate_id"], row["verification_code"], "--data", str(data)])
    assert ok.exit_code == 0 and f"issued to {row['name']}" in ok.output
    bad = CliRunner().invoke(verify_certificate, [row["certificate_id"], "AAAAA-AAAAA", "--data", str(data)])
    assert bad.exit_code == 1 and "does not match" in bad.output
    run = CliRunner().invoke(certificates, ["--workshop", "Coaching series", "--rule", "attended-3",
                                            "--out", str(tmp_path / "cohort"), "--data", str(data)])
    assert run.exit_code == 0 and "Made 20 certificates" in run.output


# ---------------------------------------------------------------- Pashto and Dari: names and certificates


def shaped(text: str, stem: str) -> list[tuple]:
    """The outlines of the glyphs HarfBuzz gives `text` in the bundled font `stem` (NotoNaskhArabic-Bold, …), in
    the order they are drawn (left to right: a right-to-left text comes out reversed), spaces left out."""
    import uharfbuzz as hb
    from fontTools.ttLib import TTFont

    path = FONTS / f"{stem}.ttf"
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(hb.Font(hb.Face(hb.Blob.from_file_path(str(path)))), buffer, {})
    bundled, names = outlines(TTFont(path)), TTFont(path).getGlyphOrder()
    return [o for o in (bundled[names[g.codepoint]] for g in buffer.glyph_infos) if o]


def drawn(path, base_font: str) -> list[tuple]:
    """The outlines of the glyphs the page draws in one font, in the order it draws them, spaces left out: each
    string's character ids, through the font's CIDToGIDMap, to the glyphs of its embedded subset."""
    from fontTools.ttLib import TTFont
    from pypdf.generic import ContentStream

    reader = pypdf.PdfReader(path)
    page = reader.pages[0]
    fonts = {name: f.get_object() for name, f in page["/Resources"]["/Font"].items()}
    key = next(name for name, f in fonts.items() if f["/BaseFont"].split("+")[-1] == base_font)
    cid_font = fonts[key]["/DescendantFonts"][0].get_object()
    to_gid = cid_font["/CIDToGIDMap"].get_object().get_data()
    subset = TTFont(io.BytesIO(cid_font["/FontDescriptor"].get_object()["/FontFile2"].get_object().get_data()))
    order, shapes = subset.getGlyphOrder(), outlines(subset)
    out, font = [], None
    for operands, operator in ContentStream(page.get_contents(), reader).operations:
        if operator == b"Tf":
            font = operands[0]
        elif operator == b"Tj" and font == key:
            raw = operands[0].original_bytes
            for i in range(0, len(raw), 2):
                cid = int.from_bytes(raw[i:i + 2], "big")
                out.append(shapes[order[int.from_bytes(to_gid[2 * cid:2 * cid + 2], "big")]])
    return [o for o in out if o]


def contains(seq: list, part: list) -> bool:
    return any(seq[i:i + len(part)] == part for i in range(len(seq) - len(part) + 1))


def runs(path) -> list[tuple[str, str]]:
    """The page's text as it is drawn, left to right within a line: (text, font) of each run."""
    seen: list[tuple[str, str]] = []

    def visit(text, _cm, _tm, font, _size):
        if text.strip():
            seen.append((text.strip(), (font or {}).get("/BaseFont", "").split("+")[-1]))

    pypdf.PdfReader(path).pages[0].extract_text(visitor_text=visit)
    return seen


def certificate_of(store, bank, tmp_path, name: str, language: str):
    w = store.add_workshop("Victim identification", place="Kabul", starts_on=date(2026, 11, 24))
    session = store.add_session(w["id"], "Day 1")
    post = store.add_activity(session["id"], bank, "posttest")
    store.open_activity(post["id"])
    person = store.join(session["join_code"], name, language=language)
    store.submit_attempt(store.start_attempt(post["id"], person["id"])["id"])
    [made] = make_certificates(store, session["id"], tmp_path, data_dir=tmp_path)
    return made


@pytest.mark.parametrize("name, language", [("ښکلې ځدراڼ", "ps"), ("محمد ژوندی", "prs")])
def test_a_pashto_and_a_dari_holder_get_their_name_shaped_and_the_title_in_their_language(
        sqlite_store, all_types_bank, tmp_path, name, language):
    from toolkit.texts import t

    made = certificate_of(sqlite_store, all_types_bank, tmp_path, name, language)
    title = t("certificate_title", language)
    assert title != t("certificate_title", "en")  # the catalogue has it
    line = runs(made.path)
    assert line[:2] == [("Certificate of completion", "NotoSerifBold"), (title, "NotoNaskhArabic")]
    assert (name, "NotoNaskhArabicBold") in line  # read back in its letters' order
    # the glyphs drawn are the ones HarfBuzz chose (each letter in its joined form), right to left
    assert drawn(made.path, "NotoNaskhArabicBold") == shaped(name, "NotoNaskhArabic-Bold")
    assert drawn(made.path, "NotoNaskhArabic") == shaped(title, "NotoNaskhArabic-Regular")


def test_an_english_holder_keeps_the_urdu_title_line(sqlite_store, all_types_bank, tmp_path):
    made = certificate_of(sqlite_store, all_types_bank, tmp_path, "Bilal Ahmed", "en")
    assert runs(made.path)[1] == ("سندِ تکمیل", "NotoNaskhArabic")


@pytest.mark.parametrize("name, in_order", [
    ("Bilal ځدراڼ", [("Bilal", "NotoSerifBold"), ("ځدراڼ", "NotoNaskhArabicBold")]),  # Latin first: left to right
    ("ځدراڼ Khan", [("Khan", "NotoSerifBold"), ("ځدراڼ", "NotoNaskhArabicBold")]),  # Pashto first: right to left
])
def test_a_name_mixing_latin_and_arabic_letters_draws_each_in_its_font_in_its_direction(
        sqlite_store, all_types_bank, tmp_path, name, in_order):
    made = certificate_of(sqlite_store, all_types_bank, tmp_path, name, "ps")
    line = runs(made.path)
    start = line.index(("This certifies that", "NotoSerif")) + 1
    assert line[start:start + 2] == in_order
    assert drawn(made.path, "NotoNaskhArabicBold") == shaped("ځدراڼ", "NotoNaskhArabic-Bold")
    assert contains(drawn(made.path, "NotoSerifBold"), shaped(name.replace("ځدراڼ", "").strip(), "NotoSerif-Bold"))
