"""Certificates of completion: one PDF per participant who met the completion rule, each with an id and a
verification code that only the holder of the data folder's secret can make (and so check).

Names in the Arabic script (Urdu, Pashto, Dari) are drawn with Noto Naskh Arabic, shaped by HarfBuzz (fpdf2
with uharfbuzz) and laid out right to left; the fonts and their licence (SIL OFL 1.1) are in toolkit/share/fonts/.
Under the English title, the title in the language the holder joined in (its catalogue's certificate_title).
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from . import config, languages
from .cells import csv_row
from .store import Store, StoreError
from .texts import translated

FONTS = config.PACKAGE_DIR / "share" / "fonts"
SECRET_FILE = "certificate-secret"
DEFAULT_RULE = "submitted-post"
RULE_HELP = "submitted-post (default: submitted a post-test), or attended-N (attended at least N sessions)"
# The title's second line when the holder joined in English (or their catalogue lacks the title): Urdu, as the
# certificates of the programme's first workshops (in Pakistan) were printed
SECOND_TITLE = "سندِ تکمیل"
FONT_FILES = {"serif": "NotoSerif", "naskh": "NotoNaskhArabic"}  # a script's family (languages.font_for): its files
_ATTENDED = re.compile(r"^attended-(\d+)$")


class CertificateError(StoreError):
    """A certificate cannot be made or checked as asked; the message says why."""


@dataclass(frozen=True)
class Certificate:
    certificate_id: str
    code: str
    participant_id: str
    name: str
    workshop: dict
    sessions_attended: int
    sessions_held: int
    path: Path | None = None
    language: str = languages.ENGLISH  # the holder's (as they joined): the title's second line is in it


# ---------------------------------------------------------------- ids, codes and the secret


def _base32(digest: bytes) -> str:
    return base64.b32encode(digest).decode("ascii").rstrip("=")


def certificate_id(workshop_id: str, participant_id: str) -> str:
    """The same participant and workshop always get the same id: printing again never makes a second one."""
    raw = _base32(hashlib.sha256(f"toolkit-certificate/{workshop_id}/{participant_id}".encode()).digest())[:12]
    return f"TK-{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def verification_code(secret: bytes, cert_id: str, participant_id: str) -> str:
    """HMAC-SHA256 of the certificate id and the participant under the data folder's secret, 10 letters."""
    raw = _base32(hmac.new(secret, f"{cert_id}|{participant_id}".encode(), hashlib.sha256).digest())[:10]
    return f"{raw[:5]}-{raw[5:]}"


def _normal(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").upper()


def secret_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / SECRET_FILE


def load_secret(data_dir: str | Path, create: bool = True) -> bytes:
    """The data folder's certificate secret, made on first use (keep it with the store: it proves the codes)."""
    path = secret_path(data_dir)
    if path.is_file():
        return bytes.fromhex(path.read_text().strip())
    if not create:
        raise CertificateError(f"There is no certificate secret in {path.parent}: certificates were not made there.")
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_bytes(32)
    path.write_text(value.hex() + "\n")
    path.chmod(0o600)
    return value


def data_dir_of(store: Store) -> Path:
    """Where a store keeps its secret: beside a SQLite file, else the default data folder."""
    return store.sqlite_path.parent if store.sqlite_path is not None else config.default_data_dir()


# ---------------------------------------------------------------- who gets one


def _workshop_people(store: Store, workshop_id: str) -> tuple[list[dict], dict[str, dict]]:
    """The workshop's sessions (oldest first) and its participants, each with the sessions they attended."""
    sessions = sorted(store.list_sessions(workshop_id), key=lambda s: s["created_at"])
    people: dict[str, dict] = {}
    for s in sessions:
        for p in store.session_participants(s["id"]):
            people.setdefault(p["id"], {**p, "sessions": set()})["sessions"].add(s["id"])
    return sessions, people


def _submitted_post(store: Store, session_ids: list[str]) -> set[str]:
    done = set()
    for sid in session_ids:
        for a in store.list_activities(sid):
            if a["kind"] == "posttest":
                done |= {x["participant_id"] for x in store.list_attempts(a["id"]) if x["submitted_at"] is not None}
    return done


def completed(store: Store, workshop_id: str, rule: str = DEFAULT_RULE, session_ids: list[str] | None = None
              ) -> list[dict]:
    """The participants of the workshop who met the rule (in the given sessions, default all), by joining order."""
    sessions, people = _workshop_people(store, workshop_id)
    ids = session_ids or [s["id"] for s in sessions]
    if rule == "submitted-post":
        done = _submitted_post(store, ids)
    elif m := _ATTENDED.match(rule):
        done = {pid for pid, p in people.items() if len(p["sessions"] & set(ids)) >= int(m.group(1))}
    else:
        raise CertificateError(f"Unknown completion rule {rule!r}: use {RULE_HELP}.")
    chosen = [p for pid, p in people.items() if pid in done]
    return sorted(chosen, key=lambda p: (p["created_at"], p["id"]))


# ---------------------------------------------------------------- the PDF


def _dates(workshop: dict) -> str:
    start, end = workshop.get("starts_on"), workshop.get("ends_on")
    if not isinstance(start, date):
        return ""
    if isinstance(end, date) and end != start:
        same_month = (start.year, start.month) == (end.year, end.month)
        return f"{start.day}–{_day(end)}" if same_month else f"{_day(start)} – {_day(end)}"
    return _day(start)


def _day(d: date) -> str:
    return f"{d.day} {d:%B %Y}"


def a4_pdf(orientation: str):
    """An A4 page set with the bundled fonts: "serif" (Latin) and "naskh" (Urdu, Pashto, Dari), shaped by HarfBuzz."""
    from fpdf import FPDF

    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    for family, stem in FONT_FILES.items():
        pdf.add_font(family, "", str(FONTS / f"{stem}-Regular.ttf"))
        pdf.add_font(family, "B", str(FONTS / f"{stem}-Bold.ttf"))
    pdf.set_text_shaping(True)  # HarfBuzz: Arabic-script letters joined, right to left
    return pdf


def set_font_for(pdf, text: str, style: str, size: float) -> None:
    """The family of a4_pdf that the text's script needs (languages.font_for), the others as fallback."""
    family = languages.font_for(text)
    pdf.set_fallback_fonts([f for f in FONT_FILES if f != family], exact_match=False)
    pdf.set_font(family, style, size)


def _pdf():
    pdf = a4_pdf("L")
    pdf.set_title("Certificate of completion")
    pdf.set_creator("toolkit")
    return pdf


def _line(pdf, text: str, size: float, style: str = "", colour: tuple[int, int, int] = (29, 35, 48),
          height: float | None = None) -> None:
    """One centred line (wrapped if long) in the font its script needs, the other as fallback."""
    set_font_for(pdf, text, style, size)
    pdf.set_text_color(*colour)
    pdf.set_x(pdf.l_margin)
    pdf.multi_cell(0, height or size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")


def render_certificate(cert: Certificate) -> bytes:
    """One A4 landscape page: who, what, where and when, by whom, and how to check it."""
    w = cert.workshop
    demo = str(w["title"]).startswith("Demo:")
    pdf = _pdf()
    pdf.set_margins(28, 20, 28)
    pdf.add_page()
    pdf.set_draw_color(31, 95, 191)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)
    pdf.set_line_width(0.3)
    pdf.rect(13, 13, 271, 184)
    if demo:  # pale, in the free space above the signatures: demo data must never pass for a real certificate
        mark = "DEMO DATA: NOT A REAL CERTIFICATE"
        pdf.set_font("serif", "B", 26)
        pdf.set_text_color(240, 190, 190)
        pdf.text(148.5 - pdf.get_string_width(mark) / 2, 150, mark)
    pdf.set_y(26)
    _line(pdf, "Certificate of completion", 30, "B", (31, 95, 191), 14)
    own = translated("certificate_title", cert.language) if cert.language != languages.ENGLISH else None
    _line(pdf, own or SECOND_TITLE, 18, "", (31, 95, 191), 11)
    pdf.ln(10)
    _line(pdf, "This certifies that", 14, "", (74, 84, 104))
    pdf.ln(3)
    _line(pdf, cert.name, 32, "B", height=17)
    pdf.ln(4)
    _line(pdf, "completed the workshop", 14, "", (74, 84, 104))
    pdf.ln(2)
    _line(pdf, str(w["title"]), 18, "B", height=9)
    pdf.ln(2)
    where = ", ".join(x for x in (w.get("place"), _dates(w)) if x)
    if where:
        _line(pdf, f"held in {where}" if w.get("place") else f"held on {where}", 13)
    if cert.sessions_held > 1:
        _line(pdf, f"attending {cert.sessions_attended} of its {cert.sessions_held} sessions", 12, "", (74, 84, 104))
    if w.get("organiser"):
        _line(pdf, f"Organised by {w['organiser']}", 12, "", (74, 84, 104))
    pdf.set_draw_color(120, 130, 150)
    pdf.set_line_width(0.3)
    for x, label in ((40, "Facilitator"), (187, "For the organiser")):
        pdf.line(x, 168, x + 70, 168)
        pdf.set_font("serif", "", 10)
        pdf.set_text_color(74, 84, 104)
        pdf.set_xy(x, 169)
        pdf.cell(70, 5, label, align="C")
    pdf.set_font("serif", "", 9)
    pdf.set_xy(20, 181)
    pdf.cell(257, 4.5, f"Certificate {cert.certificate_id}   ·   verification code {cert.code}", align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.cell(257, 4.5, "The organiser confirms a certificate with: toolkit verify-certificate ID CODE", align="C")
    return bytes(pdf.output())


def _file_name(cert: Certificate) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9]+", "-", cert.name).strip("-")[:40]
    return f"{cert.certificate_id}{'-' + ascii_name if ascii_name else ''}.pdf"


def make_certificates(store: Store, session_id: str | None = None, out_dir: str | Path = "certificates",
                      rule: str = DEFAULT_RULE, data_dir: str | Path | None = None,
                      workshop_id: str | None = None) -> list[Certificate]:
    """A PDF for everyone who met `rule` in the session (or in the whole workshop), and a register (CSV).

    People who gave no name get no certificate (there is no one to name on it); they are left out.
    """
    if workshop_id is None:
        if session_id is None:
            raise CertificateError("Name a session or a workshop.")
        workshop_id = store.find_session(session_id)["workshop_id"]
    workshop = store.find_workshop(workshop_id)
    sessions, people = _workshop_people(store, workshop_id)
    secret = load_secret(data_dir or data_dir_of(store))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    made = []
    for p in completed(store, workshop_id, rule, [session_id] if session_id else None):
        if not (p["display_name"] or "").strip():
            continue
        cert_id = certificate_id(workshop_id, p["id"])
        cert = Certificate(cert_id, verification_code(secret, cert_id, p["id"]), p["id"], p["display_name"].strip(),
                           workshop, len(people[p["id"]]["sessions"]), len(sessions),
                           language=p.get("language") or languages.ENGLISH)
        path = out / _file_name(cert)
        path.write_bytes(render_certificate(cert))
        made.append(Certificate(**{**cert.__dict__, "path": path}))
    with open(out / "certificates.csv", "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(["certificate_id", "verification_code", "name", "workshop", "file"])
        for c in made:
            writer.writerow(csv_row([c.certificate_id, c.code, c.name, workshop["title"], c.path.name]))
    return made


def verify(store: Store, cert_id: str, code: str, data_dir: str | Path | None = None) -> dict:
    """Whether a certificate id and its code were issued from this store; with the holder and workshop if so."""
    secret = load_secret(data_dir or data_dir_of(store), create=False)
    wanted = "TK-" + "-".join(re.findall(".{1,4}", _normal(cert_id).removeprefix("TK")))
    for workshop in store.list_workshops():
        _sessions, people = _workshop_people(store, workshop["id"])
        for pid, p in people.items():
            if certificate_id(workshop["id"], pid) == wanted:
                ok = hmac.compare_digest(_normal(verification_code(secret, wanted, pid)), _normal(code))
                return {"valid": ok, "certificate_id": wanted, "name": p["display_name"],
                        "workshop": workshop["title"], "place": workshop["place"], "dates": _dates(workshop),
                        "reason": "" if ok else "The verification code does not match this certificate."}
    return {"valid": False, "certificate_id": wanted, "name": None, "workshop": None, "place": None, "dates": "",
            "reason": "No certificate with this id was issued from this store."}
