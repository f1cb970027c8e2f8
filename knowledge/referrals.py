"""Neighbouring public-service domains (land, social-insurance benefits, tax, passports...) and their offices.

The table is reviewed data (knowledge/data/referrals.yaml, with its sources). `Referrals.find` lists the domain
phrases a question uses (knowledge.phrases: diacritics typed must agree, so "thuê bao" is not "thuế"). A guide
that does not contain such a phrase does not cover the question, whatever its BM25 score says: the question is
referred to the kind of office that handles the domain (see knowledge.answers).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from embeddings.text import Analyzed
from knowledge.phrases import Found, PhraseMatcher, contains

DEFAULT_TABLE = "referrals.yaml"
Mention = Found[str]  # a domain phrase found in a question; its payload is the domain id


@dataclass(frozen=True, slots=True)
class Domain:
    id: str
    name: str
    office: str
    sources: tuple[str, ...]
    strict: bool = False  # a guide covers it only where its FAQ addresses it ("có bắt buộc không")
    subject: bool = False  # a guide covers it only where its title, summary, questions or FAQ name it


@dataclass(frozen=True, slots=True)
class Coverage:
    """A target's folded, space-padded texts: everything it says, what it is about, what its FAQ addresses."""

    everything: str
    about: str
    faq: str


class Referrals:
    def __init__(self, domains: list[Domain], terms: list[tuple[str, str]]) -> None:
        self.domains = {domain.id: domain for domain in domains}
        self._matcher: PhraseMatcher[str] = PhraseMatcher(terms)

    @classmethod
    def load(cls, path: Path | None = None) -> Referrals:
        source = path or Path(str(resources.files("knowledge") / "data" / DEFAULT_TABLE))
        raw: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))
        domains: list[Domain] = []
        terms: list[tuple[str, str]] = []
        for item in raw["domains"]:
            domain = Domain(
                id=str(item["id"]),
                name=" ".join(str(item["name"]).split()),
                office=" ".join(str(item["office"]).split()),
                sources=tuple(str(source) for source in item.get("sources") or ()),
                strict=bool(item.get("strict", False)),
                subject=bool(item.get("subject", False)),
            )
            if not domain.sources:
                raise ValueError(f"{source.name}: domain {domain.id} has no sources")
            domains.append(domain)
            terms.extend((str(phrase), domain.id) for phrase in item["terms"])
        return cls(domains, terms)

    def find(self, question: Analyzed) -> list[Mention]:
        return self._matcher.find(question)


def uncovered(mentions: list[Mention], target: Coverage, domains: dict[str, Domain]) -> list[Mention]:
    """The mentions a target does not cover. A strict domain (fines, obligations) is covered only by the FAQ
    it answers (a guide that says "không bắt buộc" about one thing does not say whether another is
    compulsory); a subject domain (land) only by what the target is about; others by anything it says."""

    def text_for(domain: Domain) -> str:
        return target.faq if domain.strict else target.about if domain.subject else target.everything

    return [mention for mention in mentions if not contains(text_for(domains[mention.payload]), mention.phrase)]


def main_domain(mentions: list[Mention]) -> str | None:
    """The domain a question is most about: the one whose phrases in it are longest."""
    if not mentions:
        return None
    weight: dict[str, int] = defaultdict(int)
    for mention in mentions:
        weight[mention.payload] += len(mention.phrase.folded)
    return max(weight, key=lambda domain: weight[domain])
