"""The answerer service of this feature, built once per process from the data directory's index."""

from __future__ import annotations

from bot.services import ServiceKey
from bot.settings import Settings
from knowledge.answers import Answerer
from knowledge.store import IndexSource, load_or_build

ANSWERER: ServiceKey[Answerer] = ServiceKey("questions.answerer")


def index_source(settings: Settings) -> IndexSource:
    return IndexSource(data_dir=settings.data_dir, embedding_model=settings.embedding_model)


def make_answerer(settings: Settings) -> Answerer:
    index, knowledge = load_or_build(index_source(settings))
    return Answerer(index, knowledge)
