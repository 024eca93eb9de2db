"""Statistics over human judgements: Krippendorff's alpha, and Bradley-Terry scores for blind A/B votes.

Alpha follows Krippendorff (2011), "Computing Krippendorff's alpha-reliability": a coincidence matrix over
the units that at least two coders judged, with nominal, ordinal or interval distances. Bradley-Terry
strengths are fitted by the MM algorithm (Hunter 2004) with ties as half a win each side and a weak prior
(one virtual tie between every pair) so an undefeated contestant stays finite; they are reported on the
Elo scale (400·log10, centred at 1000) with percentile intervals from bootstrap resamples of the votes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from typing import Literal

import numpy as np

Level = Literal["nominal", "ordinal", "interval"]


def krippendorff_alpha(
    units: Mapping[Hashable, Sequence[float | str]], level: Level = "nominal"
) -> float | None:
    """Alpha over units (item → the values coders gave it). None when it is undefined (too little data
    or no variation at all)."""
    pairable = [list(v) for v in units.values() if len(v) >= 2]
    values = sorted({x for v in pairable for x in v}, key=lambda x: (isinstance(x, str), x))
    if len(values) < 2:
        return None
    index = {v: i for i, v in enumerate(values)}
    o = np.zeros((len(values), len(values)))
    for vals in pairable:
        m = len(vals)
        for i, a in enumerate(vals):
            for j, b in enumerate(vals):
                if i != j:
                    o[index[a], index[b]] += 1.0 / (m - 1)
    n_c = o.sum(axis=1)
    n = n_c.sum()
    delta = _distances(values, n_c, level)
    d_o = (o * delta).sum() / n
    d_e = (np.outer(n_c, n_c) * delta).sum() / (n * (n - 1))
    return None if d_e == 0 else float(1 - d_o / d_e)


def _distances(values: list[float | str], n_c: np.ndarray, level: Level) -> np.ndarray:
    k = len(values)
    if level == "nominal":
        return 1.0 - np.eye(k)
    if level == "interval":
        v = np.array(values, dtype=float)
        return np.subtract.outer(v, v) ** 2
    d = np.zeros((k, k))  # ordinal: ranks by the marginal frequencies between the two values
    for c in range(k):
        for e in range(k):
            lo, hi = min(c, e), max(c, e)
            d[c, e] = (n_c[lo : hi + 1].sum() - (n_c[c] + n_c[e]) / 2) ** 2
    return d


Outcome = tuple[str, str, float]  # (A, B, A's score: 1 win, 0.5 tie, 0 loss)


def bradley_terry(players: Sequence[str], games: Sequence[Outcome], iters: int = 200) -> dict[str, float]:
    """Elo-scale strengths (mean 1000) for the players from the games."""
    k = len(players)
    idx = {p: i for i, p in enumerate(players)}
    wins = np.zeros(k)
    n = np.zeros((k, k))
    for a, b, s in games:
        i, j = idx[a], idx[b]
        wins[i] += s
        wins[j] += 1 - s
        n[i, j] += 1
        n[j, i] += 1
    prior = 1.0 - np.eye(k)  # one virtual tie per pair
    wins = wins + prior.sum(axis=1) / 2
    n = n + prior
    p = np.ones(k)
    for _ in range(iters):
        denom = (n / (p[:, None] + p[None, :])).sum(axis=1)
        new = wins / denom
        new /= np.exp(np.log(new).mean())
        if np.abs(new - p).max() < 1e-10:
            p = new
            break
        p = new
    elo = 400 * np.log10(p)
    elo = elo - elo.mean() + 1000
    return {pl: float(elo[idx[pl]]) for pl in players}


def leaderboard(
    players: Sequence[str], games: Sequence[Outcome], rounds: int = 300, seed: int = 0
) -> list[dict[str, float | int | str | None]]:
    """Per player: games, wins, ties, losses, win rate, Bradley-Terry score and its 95% bootstrap interval."""
    tally: dict[str, dict[str, int]] = defaultdict(lambda: {"games": 0, "wins": 0, "ties": 0, "losses": 0})
    for a, b, s in games:
        for who, score in ((a, s), (b, 1 - s)):
            t = tally[who]
            t["games"] += 1
            t["wins" if score == 1 else "losses" if score == 0 else "ties"] += 1
    strength = bradley_terry(players, games)
    boot: dict[str, list[float]] = {p: [] for p in players}
    rng = np.random.default_rng(seed)
    if games:
        for _ in range(rounds):
            sample = [games[i] for i in rng.integers(0, len(games), len(games))]
            for p, v in bradley_terry(players, sample, iters=100).items():
                boot[p].append(v)
    rows: list[dict[str, float | int | str | None]] = []
    for p in players:
        t = tally[p]
        lo, hi = np.percentile(boot[p], [2.5, 97.5]) if boot[p] else (None, None)
        rows.append(
            {
                "name": p,
                **t,
                "win_rate": round(t["wins"] / t["games"], 4) if t["games"] else None,
                "score": round(strength[p], 1),
                "ci_low": None if lo is None else round(float(lo), 1),
                "ci_high": None if hi is None else round(float(hi), 1),
            }
        )
    return sorted(rows, key=lambda r: -float(r["score"] or 0))
