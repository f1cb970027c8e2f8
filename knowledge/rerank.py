"""Reordering a search's hits by what the question asks, before its best hit is judged or quoted.

The search ranks passages by the words they share with the question. Three things it cannot see decide between
near-equal hits: the year and the kind of document the question names (knowledge.answers judges with them), the
kind of fact asked (a date, a share: knowledge.asked), and the new words of a follow-up question.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace

from embeddings.index import Hit, SearchResult
from embeddings.text import analyze
from knowledge import formatting
from knowledge.asked import Asked, best_line_score
from knowledge.plans import Passage

ASKED_FACT_DEPTH = 4  # hits among which a passage stating the asked kind of fact may lead
ASKED_FACT_MARGIN = 1.2  # how much better its line must fit than the top passage's best such line
_DOCUMENT_KINDS = (" de an ", " ke hoach ", " bao cao ", " quyet dinh ")  # "đề án Móng Cái" is not its "kế hoạch"
_YEAR = re.compile(r"\b20\d\d\b")


def prefer_asked_years(result: SearchResult, query: str, passages: Mapping[str, Passage]) -> SearchResult:
    """A question about 2025 is not answered from a passage under "Mục tiêu đến năm 2030", nor one about
    an "đề án" from a "kế hoạch": among the hits, such plan passages move behind the others."""
    asked = set(_YEAR.findall(query))
    kinds = {kind for kind in _DOCUMENT_KINDS if kind in f" {' '.join(analyze(query).folded)} "}
    if not (asked or kinds) or not result.hits:
        return result

    def conflicts(hit: Hit) -> tuple[bool, bool]:
        passage = passages.get(hit.target)
        if passage is None:
            return False, False
        years = set(_YEAR.findall(" ".join(passage.section)))
        title = f" {' '.join(analyze(passage.title).folded)} "
        other_kind = bool(kinds) and not any(kind in title for kind in kinds)
        return bool(asked) and bool(years) and not years & asked, other_kind

    ordered = sorted(result.hits, key=conflicts)
    return replace(result, hits=ordered) if ordered != result.hits else result


def prefer_asked_fact(
    result: SearchResult, kind: Asked | None, weights: Mapping[str, float], passages: Mapping[str, Passage]
) -> SearchResult:
    """For a question that asks a date, a share or a number (knowledge.asked), a passage of the same
    document among the first hits whose line states that kind of fact with more of the question's words
    (`weights`: the caller leaves out the place names, which chose the document, and the words that ask,
    "ngày nào") leads instead of the top passage."""
    if kind is None or not result.hits or result.hits[0].target not in passages:
        return result
    document = passages[result.hits[0].target].document

    def fit(hit: Hit) -> float:
        passage = passages.get(hit.target)
        if passage is None or passage.document != document:
            return 0.0
        return best_line_score(formatting.plain(passage.text), weights, kind)

    fits = [fit(hit) for hit in result.hits[:ASKED_FACT_DEPTH]]
    best = max(range(len(fits)), key=lambda i: (fits[i], -i))
    if best == 0 or fits[best] < ASKED_FACT_MARGIN * fits[0]:
        return result
    hits = [result.hits[best], *(hit for i, hit in enumerate(result.hits) if i != best)]
    return replace(result, hits=hits)


def prefer_new_words(result: SearchResult, words: list[str], target_text: Callable[[str], str]) -> SearchResult:
    """A follow-up's own words decide between the candidates of the combined question: after "đăng ký
    mức 2 ở đâu", "thế còn mức 1?" prefers the target that says "mức 1"."""
    phrase = f" {' '.join(words)} "

    def fit(hit: Hit) -> tuple[bool, float]:
        text = target_text(hit.target)
        return phrase in text, sum(f" {word} " in text for word in words) / max(len(words), 1)

    top = result.hits[:3]
    ordered = sorted(top, key=fit, reverse=True)
    return replace(result, hits=[*ordered, *result.hits[3:]]) if ordered != top else result
