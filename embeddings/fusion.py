"""Reciprocal rank fusion of the lexical and dense arms.

Rank fusion needs no calibration between BM25 scores (unbounded) and cosine similarities (bounded), which is
why it is the usual way to combine the two; each arm gets a weight so an arm that adds little can be muted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class FusionConfig:
    """RRF constant k and per-arm weights (score = sum of weight / (k + rank), rank from 1)."""

    k: float = 10.0
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    depth: int = 50
    group_weight: float = 1.0
    unnamed_penalty: float = 0.3  # groups the question does not name, when it names one
    ungrouped_penalty: float = 0.6  # documents outside any group (guides), when the question names a group
    coverage_boost: float = 0.5  # rank by BM25 × (boost + coverage); 0 ranks by BM25 alone
    rest_weight: float = 0.1  # a target's other documents add this share of their BM25 to its best one's


def ranks(scores: FloatArray, floor: float) -> FloatArray:
    """1-based rank of each entry by descending score; entries at or below `floor` get rank infinity."""
    order = np.argsort(-scores, kind="stable")
    result = np.full(scores.shape, np.inf, dtype=np.float32)
    result[order] = np.arange(1, len(scores) + 1, dtype=np.float32)
    result[scores <= floor] = np.inf
    return result


def rank_fusion(lexical: FloatArray, dense: FloatArray | None, config: FusionConfig) -> FloatArray:
    lexical_ranks = ranks(lexical, floor=0.0)
    lexical_ranks[lexical_ranks > config.depth] = np.inf
    fused = config.lexical_weight / (config.k + lexical_ranks)
    if dense is not None and config.dense_weight > 0:
        dense_ranks = ranks(dense, floor=-1.0)
        dense_ranks[dense_ranks > config.depth] = np.inf
        fused = fused + config.dense_weight / (config.k + dense_ranks)
    return fused.astype(np.float32)
