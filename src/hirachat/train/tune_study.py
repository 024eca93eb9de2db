"""What a tuning study's trials say: which count toward --trials, the GPU-hours spent and expected, the
best one. Read by the search loop (tune.py) and its report (tune_report.py) alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

INTERRUPTED = "interrupted"  # the process died mid-trial: the trial is retried, not counted


def counted(t: Any) -> bool:
    """A trial that counts toward --trials: finished other than by an interruption (that one is retried)."""
    from optuna.trial import TrialState

    return t.state in (TrialState.COMPLETE, TrialState.PRUNED) or (
        t.state == TrialState.FAIL and t.user_attrs.get("reason") != INTERRUPTED
    )


def gpu_hours(trials: Sequence[Any]) -> float:
    return sum(float(t.user_attrs.get("gpu_hours", 0.0)) for t in trials)


def expected_hours(trials: Sequence[Any]) -> float:
    """What the next trial will likely cost: the mean of the completed ones (pruned ones end early)."""
    from optuna.trial import TrialState

    done = [float(t.user_attrs.get("gpu_hours", 0.0)) for t in trials if t.state == TrialState.COMPLETE]
    return sum(done) / len(done) if done else 0.0


def best_trial(study: Any) -> Any:
    from optuna.trial import TrialState

    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return study.best_trial if done else None
