"""Short answer: a word or a phrase typed on the phone, scored against the bank's accepted answers.

An answer matches an accepted one when both are the same once normalised: case, spaces and Arabic-script
diacritics (harakat, which Urdu writes rarely and phones type inconsistently) are ignored, and the Arabic forms
of yeh and kaf that an Arabic keyboard types count as the Urdu letters. Each accepted answer earns its own share
of the points (`points`, 1 by default), in any language the bank has: an Urdu page may type the English name.
"""

from __future__ import annotations

import random
import re
from typing import Any

from .. import languages
from ..bank import Checker, Question, line_of, tr
from . import QuestionKind, normalise, register

WEIGHT = re.compile(r"^%(\d+(?:\.\d*)?)%")  # a CSV key's share of the points before an accepted answer
FIELD = "word"  # limits.TEXT_LIMITS: the most characters of one typed word or phrase
CHART_BARS = 8  # the most frequent answers the coach's chart shows, one bar each

def _accepted_forms(accept: list) -> set[tuple[str, float]]:
    """(normalised text, points) of each accepted text of a bank's `accept`, in every language it has."""
    out = set()
    for entry in accept:
        text, points = (entry.get("text"), entry.get("points", 1)) if isinstance(entry, dict) else (entry, 1)
        texts = text.values() if isinstance(text, dict) else [text]
        if not isinstance(points, (int, float)):
            return set()
        out |= {(normalise(str(t)), round(float(points), 5)) for t in texts}
    return out


class ShortAnswer(QuestionKind):
    name = "short"
    fields = frozenset({"accept"})
    key_field = "accept"
    exported_to = frozenset({"gift", "moodle-xml", "csv"})  # (an XLSForm has no keys)

    def check_key(self, c: Checker, key: Any, line: int, what: str, parsed: dict[str, Any]) -> Any:
        """`accept`: a list of texts (full points) or of {text, points}; at least one earns full points."""
        if not isinstance(key, list) or not key:
            c.error(line, f"{what}: 'accept' must list the accepted answers, e.g. [FIA, {{text: police, points: 0.5}}]")
            return None
        result, seen = [], {}
        for i, entry in enumerate(key):
            eline = line_of(key, i, line)
            if isinstance(entry, dict):
                c.unknown_fields(entry, {"text", "points"}, f"{what} accepted answer {i + 1}")
                text = c.text(entry, "text", f"{what} accepted answer {i + 1}")
                points = entry.get("points", 1)
                if not isinstance(points, (int, float)) or isinstance(points, bool) or not 0 < points <= 1:
                    c.error(line_of(entry, "points", eline), f"{what}: the points of an accepted answer are a share "
                                                             f"of the question's, more than 0 and at most 1, not '{points}'")
                    points = 0
            elif isinstance(entry, (str, int, float)) and not isinstance(entry, bool) and str(entry).strip():
                text, points = {"en": str(entry)}, 1
                for lang in c.languages:
                    if lang != languages.ENGLISH:
                        c.warn(eline, f"{what}: accepted answer '{entry}' has no {languages.english_name(lang)} "
                                      f"({lang}) text")
            else:
                c.error(eline, f"{what}: each accepted answer is a text or {{text: …, points: …}}")
                continue
            for form in {normalise(s) for s in text.values()}:
                if form in seen:
                    c.error(eline, f"{what}: '{form}' is accepted twice (also on line {seen[form]}); "
                                   "case, spaces and diacritics are ignored")
                seen.setdefault(form, eline)
            result.append({"text": text, "points": float(points)})
        if result and max(a["points"] for a in result) < 1:
            c.error(line, f"{what}: at least one accepted answer must earn full points (points: 1)")
        return tuple(result)

    def fraction(self, q: Question, response: Any) -> float:
        if not isinstance(response, str):
            return 0.0
        given = normalise(response)
        return max((a["points"] for a in q.key if given in {normalise(s) for s in a["text"].values()}), default=0.0)

    def answered(self, q: Question, response: Any) -> bool:
        return isinstance(response, str) and normalise(response) != ""

    def describe(self, q: Question, response: Any, lang: str) -> str:
        return str(response)

    def tally(self, q: Question, response: Any) -> list[str]:
        return [normalise(response)] if isinstance(response, str) else []

    def categories(self, q: Question, counts: dict[str, int]) -> list[tuple[str, str]]:
        """The answers typed, grouped once normalised, most frequent first."""
        ranked = sorted(counts, key=lambda form: (-counts[form], form))[:CHART_BARS]
        return [(form, form) for form in ranked]

    def right_categories(self, q: Question) -> set[str]:
        return {normalise(s) for a in q.key or () if a["points"] >= 1 for s in a["text"].values()}

    def csv_key(self, cell: str, problems: list[str]) -> Any:
        """`FIA|Federal Investigation Agency|%50%police`: the accepted answers, a share of the points before one
        that does not earn them all (as GIFT writes it)."""
        from ..formats.csvfmt import split

        accept: list[Any] = []
        for part in (p.strip() for p in split(cell)):
            m = WEIGHT.match(part)
            if not part:
                continue
            if not m:
                accept.append(part)
            elif float(m.group(1)) == 100:
                accept.append(part[m.end():].strip())
            else:
                accept.append({"text": part[m.end():].strip(), "points": float(m.group(1)) / 100})
        return accept

    def csv_cell(self, key: Any) -> str:
        """Each text of an accepted answer, in any language, as an answer of its own with the same points: scored
        the same, though the cell no longer says which texts are one answer in two languages."""
        cells, seen = [], set()
        for a in key:
            for text in a["text"].values():
                if normalise(text) in seen:
                    continue
                seen.add(normalise(text))
                share = "" if a["points"] == 1 and not WEIGHT.match(text) else f"%{round(a['points'] * 100, 5):g}%"
                cells.append(share + text.replace("\\", "\\\\").replace("|", "\\|"))
        return "|".join(cells)

    def csv_loses(self, q: Question) -> str:
        grouped = [a for a in q.key if len(a["text"]) > 1]
        if not grouped:
            return ""
        return ("the key cell lists each text of an accepted answer as an answer of its own (scored the same): "
                + ", ".join(" and ".join(f"'{t}'" for t in a["text"].values()) for a in grouped)
                + " are no longer one answer in two languages")

    moodle_type = "shortanswer"
    reads_moodle = ("shortanswer",)

    def to_moodle(self, q: Question, raw: dict, mq, say, what: str) -> bool:
        """Each text of an accepted answer, in every language, as a Moodle answer (Moodle accepts any of them); a
        toolkit comment keeps which texts are one answer in two languages."""
        from ..formats.common import SKIPPED, question_meta
        from ..formats.moodle import Answer, moodle_accepts, pct

        odd = [a for a in q.key if not moodle_accepts(a["points"])]
        if odd:
            say("not exported: Moodle does not accept the grade " + ", ".join(
                f"{pct(a['points'])} of '{a['text'].get('en', '')}'" for a in odd) + " (it takes 1/2 to 1/10, and "
                "1/20): Moodle would refuse the whole file. Give the accepted answer one of those shares", SKIPPED)
            return False
        seen: set[str] = set()
        for a in q.key:
            for text in a["text"].values():
                if normalise(text) not in seen:
                    seen.add(normalise(text))
                    mq.answers.append(Answer({"en": text}, float(a["points"]), {}, 0.0, text))
        mq.meta = question_meta(q, raw, natural_type=self.name)
        if any(len(a["text"]) > 1 for a in q.key):
            mq.meta["accept"] = raw.get("accept")
        return True

    def to_gift(self, q: Question, mq, gift) -> list[str] | None:
        """`{=FIA =%50%police}`; GIFT has no escape for `->`, which makes the block a matching question."""
        from ..formats.common import SKIPPED, num
        from ..formats.gift import WEIGHT as GIFT_WEIGHT
        from ..formats.gift import escape

        arrows = [a.text.get("en", "") for a in mq.answers if "->" in a.text.get("en", "")]
        if arrows:
            gift.say("not exported: GIFT reads '->' in an answer as a matching question and has no escape for it: "
                     f"reword the accepted answer '{arrows[0]}'", SKIPPED)
            return None
        lines = []
        for a in mq.answers:
            body = escape(a.text.get("en", ""))
            weight = "" if a.fraction == 1 and not GIFT_WEIGHT.match(body) else f"%{num(round(a.fraction * 100, 5))}%"
            lines.append(f"={weight}{body}")
        return gift.block(lines)

    def from_moodle(self, mq, read) -> dict[str, Any] | None:
        """The accepted answers and their shares of the points; what the bank does not tell apart (case,
        wildcards) and feedback per answer (joins the question's) are said."""
        from ..formats.common import ERROR, compact, num
        from ..formats.moodle import EPS, pct

        say = read.say
        accepted = [a for a in mq.answers if a.text.get("en")]
        if not accepted:
            say("not imported: a short-answer question needs at least one accepted answer", ERROR)
            return None
        if len(accepted) == 1 and accepted[0].text["en"].lower() in ("t", "f", "true", "false"):
            say(f"read as a short answer whose one accepted answer is '{accepted[0].text['en']}' (for a true/false "
                "question write TRUE or FALSE in capitals)")
        kept = mq.meta.get("accept")
        if isinstance(kept, list) and _accepted_forms(kept) == {(normalise(a.text["en"]), round(a.fraction, 5))
                                                               for a in accepted}:
            return {"accept": kept}  # the toolkit comment's accepted answers, with their languages, as the file has them
        if str(mq.settings.get("usecase") or "0").strip() not in ("", "0"):
            say(f"{read.what} tells capitals apart in this question; the bank ignores case (and extra spaces and "
                "diacritics)")
        wild = [a for a in accepted if "*" in a.text["en"]]
        if wild:
            say("'*' is a wildcard in Moodle but a plain character in the bank: "
                + ", ".join(f"'{a.text['en']}'" for a in wild) + " must now be typed as written")
        zero = [a for a in accepted if a.fraction <= EPS]
        if zero:
            say("answers that earn nothing need no place in the bank (any answer not accepted earns 0): left out "
                + ", ".join(f"'{a.text['en']}' ({pct(a.fraction)})" for a in zero))
        told = [(a.text["en"], a.feedback) for a in accepted if compact(a.feedback)]
        if told:
            say("feedback per answer has no place in a short-answer question: added to the question's feedback")
            for what, fb in told:
                read.extra.append({lang: f"{what}: {s}" for lang, s in fb.items()})
        accept, seen = [], set()
        for a in accepted:
            form = normalise(a.text["en"])
            if a.fraction <= EPS or form in seen:
                if form in seen and a.fraction > EPS:
                    say(f"'{a.text['en']}' is accepted twice once case, spaces and diacritics are ignored: kept once")
                continue
            seen.add(form)
            points = min(a.fraction, 1.0)
            accept.append(a.text["en"] if abs(points - 1) < EPS else {"text": a.text["en"], "points": num(round(points, 5))})
        if not accept:
            say("not imported: no accepted answer earns any credit", ERROR)
            return None
        if all(isinstance(a, dict) for a in accept):
            best = max(accept, key=lambda a: a["points"])
            say(f"no answer gives full credit; the best one, '{best['text']}' ({pct(best['points'])}), now scores 100%")
            accept[accept.index(best)] = best["text"]
        return {"accept": accept}

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import TextInput

        return TextInput(q, lang, field=FIELD, one_line=True)

    def simulate(self, q: Question, right: bool, rng: random.Random, lure: list[float]) -> Any:
        best = next(a for a in q.key if a["points"] >= 1)
        if right:
            return rng.choice([tr(best["text"]), tr(best["text"]).lower(), f" {tr(best['text'])} "])
        partial = [a for a in q.key if a["points"] < 1]
        return tr(rng.choice(partial)["text"]) if partial and rng.random() < 0.5 else "I do not know"


register(ShortAnswer())
