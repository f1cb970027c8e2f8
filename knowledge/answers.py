"""From a citizen's question (and who asks it) to an answer: the one pipeline every channel and `troly ask` use.

`Answerer.answer(question, asker)` is a plain function of the question and the asker's context (their area's
places, their previous question when recent), so another provider (local answers published by officials) can
be tried before or after it. The outcomes:

- SMALLTALK: thanks, greetings, "ok", insults, emoji (knowledge.smalltalk);
- ANSWER: the best match covers the question and is convincing; a guide answer leads with the sentence that
  answers the question's intent (knowledge.sections), a plan answer quotes the passage with its citation;
- REFERRAL: the question belongs to a neighbouring public-service domain the matched guide does not cover (land,
  social-insurance benefits, passports...), or asks what the guide cannot say (a cost it does not state): an
  honest pointer to the kind of office that handles it (knowledge.referrals);
- SUGGEST: something matches but not convincingly: "did you mean" with the top three;
- FALLBACK: nothing matches, or a place has no plan: an honest "I don't know" with where to find a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.privacy import mask_personal
from embeddings.index import HybridIndex, SearchResult
from embeddings.text import analyze
from knowledge import formatting, intents, smalltalk
from knowledge.asked import asked_kind, cue_words
from knowledge.confidence import Confidence, Evidence, evidence
from knowledge.corpus import GUIDE_KIND, PLAN_KIND, Knowledge
from knowledge.followups import compose, intent_for, is_follow_up, new_words
from knowledge.intents import Intent
from knowledge.locate import Location, Locator, is_plan_question
from knowledge.outcomes import Answer, Asker, Outcome, Source

__all__ = ["NOBODY", "Answer", "Answerer", "Asker", "Outcome", "Source"]
from knowledge.places import Gazetteer
from knowledge.plans import Passage
from knowledge.referrals import Coverage, Mention, Referrals, main_domain, uncovered
from knowledge.rerank import prefer_asked_fact, prefer_asked_years, prefer_new_words
from knowledge.sections import GuideView, Role

SCAM_GUIDE = "canh-bao-lua-dao"
RUNNER_UP_SHARE = 0.85
PLACE_ANSWER_AT = 0.25  # a passage of the plans of the place the question names


NOBODY = Asker()


@dataclass
class Answerer:
    """Answers questions from one loaded index; cheap to call, safe to share between threads."""

    index: HybridIndex
    knowledge: Knowledge
    confidence: Confidence = field(default_factory=Confidence)
    referrals: Referrals = field(default_factory=Referrals.load)
    gazetteer: Gazetteer = field(default_factory=Gazetteer.load)

    def __post_init__(self) -> None:
        self.views = {gid: GuideView.of(card.body, card.faq) for gid, card in self.knowledge.guides.items()}
        self.locator = Locator(self.gazetteer, self.knowledge.places)
        self._texts: dict[str, str] = {}
        self._about: dict[str, str] = {}

    def answer(self, question: str, asker: Asker = NOBODY) -> Answer:
        question = " ".join(question.split())
        if not question:
            return Answer(question, formatting.fallback_text(), Outcome.FALLBACK, 0.0, None)
        masked = mask_personal(question)
        personal = masked != question
        kind = smalltalk.classify(masked)
        if kind is not None and not personal:
            text = smalltalk.reply(kind)
            return Answer(masked, text, Outcome.SMALLTALK, 1.0, None, smalltalk=kind.value)
        answer = self._answer(masked, asker)
        if personal:
            answer = replace(answer, text=f"{formatting.PRIVACY_NOTE}\n\n{answer.text}", personal=True)
        return answer

    def _answer(self, text: str, asker: Asker) -> Answer:
        intent = intents.detect(text)
        query = text
        follow_up: list[str] = []
        if asker.previous is not None and (is_follow_up(text) or self._only_places(text)):
            query = compose(text, asker.previous)
            intent = intent_for(text, intent, asker.previous)
            follow_up = new_words(text)
        location = self.locator.locate(query, asker.places)
        base = Answer(text, "", Outcome.FALLBACK, 0.0, None, intent=intent, query=query)
        if location.missing is not None:
            return self._no_plan(base, location)
        if location.ask:
            return self._which_place(base)
        if intent is Intent.SCAM:
            return self._scam(base)
        result = prefer_asked_years(
            self.index.search(query, k=6, groups=location.groups), query, self.knowledge.passages
        )
        if follow_up:
            result = prefer_new_words(result, follow_up, self.target_text)
        mentions = self.referrals.find(analyze(query))
        if not result.hits:
            return self._refer(base, mentions) or replace(base, text=formatting.fallback_text())
        planned = location.groups is not None or is_plan_question(query)
        return self._judge(base, result, mentions, planned, located=bool(location.groups))

    def explain(self, question: str, asker: Asker = NOBODY) -> tuple[SearchResult, Evidence] | None:
        """The search result and the evidence the confidence was computed from (for fitting it)."""
        text = mask_personal(" ".join(question.split()))
        location = self.locator.locate(text, asker.places)
        if not text or location.missing is not None or location.ask:
            return None
        result = prefer_asked_years(self.index.search(text, k=6, groups=location.groups), text, self.knowledge.passages)
        if not result.hits:
            return None
        return result, self.evidence(result, self.target_text(result.hits[0].target))

    def _judge(
        self, base: Answer, result: SearchResult, mentions: list[Mention], planned: bool = True, located: bool = False
    ) -> Answer:
        """Answer, suggest, refer or fall back. A plan passage answers only a question about plans (one that
        names a place or a plan): "tính lương hưu thế nào" is not answered by a report that mentions pensions.
        When the question names the place (or the asker's area) whose plans the passage comes from, that is
        evidence too: such a passage needs a lower score (`PLACE_ANSWER_AT`)."""
        best = result.hits[0]
        target_text = self.target_text(best.target)
        score = self.confidence.score(self.evidence(result, target_text))
        if best.target in self.knowledge.passages and not planned:
            score = min(score, (self.confidence.answer_at + self.confidence.suggest_at) / 2)
        sources = [self.source(hit.target) for hit in result.hits]
        base = replace(base, score=score)
        texts = Coverage(self.target_text(best.target), self.about_text(best.target), self.faq_text(best.target))
        missed = uncovered(mentions, texts, self.referrals.domains)
        if missed:
            return self._refer(base, missed) or base
        passage = best.target in self.knowledge.passages
        if score >= (
            min(PLACE_ANSWER_AT, self.confidence.answer_at) if passage and located else self.confidence.answer_at
        ):
            return self._confident(base, result, sources)
        if score >= self.confidence.suggest_at:
            text = formatting.suggestion_text(sources[:3])
            return replace(
                base, text=text, outcome=Outcome.SUGGEST, source=sources[0], alternatives=tuple(sources[1:3])
            )
        referral = self._refer(base, mentions)
        if referral is not None:
            return referral
        return replace(base, text=formatting.fallback_text(), alternatives=tuple(sources[:3]))

    def _prefer_asked_fact(self, result: SearchResult, query: str) -> SearchResult:
        """knowledge.rerank.prefer_asked_fact with the question's weights, less its place names (they chose
        the document; within it they tell passages apart by who is named, not by what is asked) and the words
        that ask."""
        named = {word for place in self.gazetteer.find(query) for word in place.key.split()} | cue_words(query)
        weights = {word: weight for word, weight in self._question_weights(query).items() if word not in named}
        return prefer_asked_fact(result, asked_kind(query), weights, self.knowledge.passages)

    def evidence(self, result: SearchResult, target_text: str) -> Evidence:
        """The best hit's features, with the share of the question's weight its whole target never uses."""
        content = result.query.content
        idf = self.index.lexical.idf
        total = sum(idf(token) * confidence for token, confidence in content) or 1.0
        missing = sum(idf(token) * confidence for token, confidence in content if f" {token} " not in target_text)
        return evidence(result, missing / total)

    def _confident(self, base: Answer, result: SearchResult, sources: list[Source]) -> Answer:
        best = result.hits[0]
        if best.target in self.knowledge.guides:
            return self._guide_answer(base, best.target, tuple(sources[1:4]))
        result = self._prefer_asked_fact(result, base.query)  # sure of the document: now which passage
        sources = [self.source(hit.target) for hit in result.hits]
        alternatives = tuple(sources[1:4])
        passage = self.knowledge.passages[result.hits[0].target]
        words = self._question_weights(base.query)
        ocr = passage.document in self.knowledge.ocr
        also = self._runner_up(result, passage)
        text = formatting.plan_answer(passage, words, ocr=ocr, also=also, asked=asked_kind(base.query))
        return replace(base, text=text, outcome=Outcome.ANSWER, source=sources[0], alternatives=alternatives)

    def _runner_up(self, result: SearchResult, passage: Passage) -> Passage | None:
        """The second hit, when it is another passage of the same document scoring nearly as well."""
        if len(result.hits) < 2:
            return None
        best, second = result.hits[0], result.hits[1]
        other = self.knowledge.passages.get(second.target)
        if other is None or other.document != passage.document or second.lexical < RUNNER_UP_SHARE * best.lexical:
            return None
        return other

    def _guide_answer(self, base: Answer, guide_id: str, alternatives: tuple[Source, ...]) -> Answer:
        card, view = self.knowledge.guides[guide_id], self.views[guide_id]
        intent = base.intent
        if intent is Intent.COST and not view.has(Role.COST):
            help_section = view.first(Role.HELP)
            office = help_section.text.split("\n")[0].rstrip(".") if help_section else "Công an xã/phường"
            text = formatting.uncovered_intent_text("chi phí", card, _lower_first(office))
            source = Source(GUIDE_KIND, card.id, card.title, section=None)
            return replace(base, text=text, outcome=Outcome.REFERRAL, source=source, alternatives=alternatives)
        weights = self._question_weights(base.query)
        lead = view.lead(intent, weights)
        steps = view.first(Role.STEPS)
        # Steps are read in order: a lead taken from the middle of them would leave "1, 2, 4, 5" behind.
        weak = lead is not None and intent is Intent.OTHER and lead.overlap < 0.5 and steps is not None
        if intent is Intent.HOW or lead is None or lead.section.role is Role.STEPS or weak:
            section = steps or view.sections[0]
            text = formatting.guide_reply(f"{card.title}:", section.text)
            role = section.role
        else:
            text = formatting.guide_reply(lead.sentence, view.companion(lead, weights).text)
            role = lead.section.role
        source = Source(GUIDE_KIND, card.id, card.title, section=role.value)
        return replace(base, text=text, outcome=Outcome.ANSWER, source=source, alternatives=alternatives)

    def _scam(self, base: Answer) -> Answer:
        """A described scam is answered by the warning first, whatever else its words match."""
        card, view = self.knowledge.guides[SCAM_GUIDE], self.views[SCAM_GUIDE]
        advice = view.first(Role.PROBLEMS) or view.sections[0]
        lead = (
            f"{formatting.SCAM_LEAD} Bạn đừng làm theo: cúp máy, không bấm đường link, không cài ứng dụng lạ, "
            "không đọc mã OTP, không chuyển tiền."
        )
        text = formatting.guide_reply(lead, advice.text)
        source = Source(GUIDE_KIND, card.id, card.title, section=Role.WARNINGS.value)
        return replace(base, text=text, outcome=Outcome.ANSWER, score=1.0, source=source)

    def _refer(self, base: Answer, mentions: list[Mention]) -> Answer | None:
        domain_id = main_domain(mentions)
        if domain_id is None:
            return None
        domain = self.referrals.domains[domain_id]
        return replace(base, text=formatting.referral_text(domain), outcome=Outcome.REFERRAL, domain=domain_id)

    def _no_plan(self, base: Answer, location: Location) -> Answer:
        assert location.missing is not None
        place = location.missing
        related = ""
        if location.related:
            names = ", ".join(self.knowledge.documents[doc] for doc in location.related)
            today = self.gazetteer.today(place).label
            related = f"Mình có tài liệu của địa phương nay cùng thuộc {today}: {names}."
        loaded = [self._listing(doc) for doc in self.knowledge.documents if doc not in location.related]
        text = formatting.no_plan_text(place.label, loaded, related)
        return replace(base, text=text, outcome=Outcome.FALLBACK)

    def _listing(self, document: str) -> str:
        """ "Uông Bí: Báo cáo Sơ kết ..." (the place first, so a shortened title still says where)."""
        title = self.knowledge.documents[document]
        place = self.gazetteer.places.get(self.knowledge.places.get(document, ""))
        return f"{place.name}: {title}" if place is not None else title

    def _which_place(self, base: Answer) -> Answer:
        places = self.locator.loaded_places()
        return replace(base, text=formatting.which_place_text(places), outcome=Outcome.SUGGEST, options=tuple(places))

    def _only_places(self, text: str) -> bool:
        """ "Móng Cái" alone, after a plan question: the answer to "which locality?"."""
        places = self.gazetteer.find(text)
        named = sum(len(place.key.split()) for place in places)
        return bool(places) and len(analyze(text, expand=False).folded) <= named + 2

    def _question_weights(self, query: str) -> dict[str, float]:
        parsed = self.index.parse(query)
        return {token: self.index.lexical.idf(token) for token, _ in parsed.content}

    def source(self, target: str) -> Source:
        if target in self.knowledge.guides:
            guide = self.knowledge.guides[target]
            return Source(GUIDE_KIND, guide.id, guide.title)
        passage = self.knowledge.passages[target]
        return Source(PLAN_KIND, passage.id, passage.title, passage.document, passage.section_label or None)

    def faq_text(self, target: str) -> str:
        """A guide's FAQ (questions and answers), folded and space-padded: what it explicitly addresses."""
        card = self.knowledge.guides.get(target)
        if card is None:
            return " "
        return f" {' '.join(analyze(' '.join(f'{q} {a}' for q, a in card.faq)).folded)} "

    def about_text(self, target: str) -> str:
        """What a guide is about (title, summary, questions, FAQ), folded: for a domain whose words a body only
        mentions in passing ("sổ đỏ" among the papers that prove a residence), this decides whether the guide
        answers a question about that domain ("làm sổ đỏ cần giấy tờ gì")."""
        card = self.knowledge.guides.get(target)
        if card is None:
            return self.target_text(target)
        text = self._about.get(target)
        if text is None:
            faq = " ".join(f"{q} {a}" for q, a in card.faq)
            raw = f"{card.title} {card.summary} {' '.join(card.questions)} {faq}"
            text = self._about[target] = f" {' '.join(analyze(raw).folded)} "
        return text

    def target_text(self, target: str) -> str:
        """Everything a target says, folded and space-padded, to check what it covers."""
        text = self._texts.get(target)
        if text is None:
            if target in self.knowledge.guides:
                card = self.knowledge.guides[target]
                faq = " ".join(f"{q} {a}" for q, a in card.faq)
                raw = f"{card.title} {card.summary} {' '.join(card.questions)} {faq} {card.body}"
            else:
                passage = self.knowledge.passages[target]
                raw = f"{passage.title} {' '.join(passage.section)} {passage.text}"
            text = f" {' '.join(analyze(raw).folded)} "
            self._texts[target] = text
        return text


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
