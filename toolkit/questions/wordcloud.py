"""Word cloud: each person sends up to three words or short phrases; not scored. The coach's Results and
Presenter show them as a cloud (the words sized by how many sent them, grouped once normalised), and the coach
may hide a word from the projector (toolkit.projector)."""

from __future__ import annotations

from typing import Any

from ..bank import Question
from . import QuestionKind, normalise, register

MOST_WORDS = 3  # the words or phrases one person sends
FIELD = "word"  # limits.TEXT_LIMITS: the most characters of each


def words(response: Any) -> list[str]:
    """The words of an answer, each once (as normalised), blanks left out."""
    if not isinstance(response, list):
        return []
    seen, out = set(), []
    for word in response[:MOST_WORDS]:
        if isinstance(word, str) and normalise(word) and normalise(word) not in seen:
            seen.add(normalise(word))
            out.append(word.strip())
    return out


class WordCloud(QuestionKind):
    name = "wordcloud"
    scored = False
    cloud = True
    exported_to = frozenset({"csv"})  # GIFT, Moodle XML and XLSForm have no word cloud

    def answered(self, q: Question, response: Any) -> bool:
        return bool(words(response))

    def describe(self, q: Question, response: Any, lang: str) -> str:
        return ", ".join(words(response))

    def tally(self, q: Question, response: Any) -> list[str]:
        return [normalise(w) for w in words(response)]

    def categories(self, q: Question, counts: dict[str, int]) -> list[tuple[str, str]]:
        return [(word, word) for word in sorted(counts, key=lambda word: (-counts[word], word))]

    def widget(self, q: Question, lang: str, field: str):
        from ..apps.inputs import WordsInput

        return WordsInput(q, lang, most=MOST_WORDS, field=FIELD)


register(WordCloud())
