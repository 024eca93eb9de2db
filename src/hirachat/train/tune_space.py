"""The search space of ``hira-chat tune``: its typed YAML model, the trial's suggestions, and the trial config.

A space names which recipe settings are searched and over what; a key left out keeps the config's value.
The packaged default is ``hirachat/resources/tune_space.yaml``; ``--space FILE`` replaces it whole.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from hirachat.config import Config, Section, describe_errors, merge_trees
from hirachat.errors import ConfigError

ALL_LINEAR = "all-linear"


class FloatParam(Section):
    """A real-valued setting: a range (``low``, ``high``, optional ``log``) or a list of ``choices``."""

    low: float | None = Field(None, description="Smallest value of the range.")
    high: float | None = Field(None, description="Largest value of the range.")
    log: bool = Field(False, description="Sample the range on a log scale (learning rates).")
    choices: list[float] | None = Field(
        None, min_length=1, description="The values to try, instead of a range."
    )

    @model_validator(mode="after")
    def _one_form(self) -> FloatParam:
        _check_form(self.low, self.high, self.choices, self.log)
        return self

    def values(self) -> list[float]:
        return (
            list(self.choices) if self.choices is not None else [float(self.low or 0), float(self.high or 0)]
        )

    def contains(self, v: float) -> bool:
        if self.choices is not None:
            return v in self.choices
        return float(self.low or 0) <= v <= float(self.high or 0)


class IntParam(Section):
    """An integer setting: a range (``low``, ``high``, optional ``step``/``log``) or a list of ``choices``."""

    low: int | None = Field(None, description="Smallest value of the range.")
    high: int | None = Field(None, description="Largest value of the range.")
    step: int = Field(1, gt=0, description="Spacing of the range's values.")
    log: bool = Field(False, description="Sample the range on a log scale.")
    choices: list[int] | None = Field(
        None, min_length=1, description="The values to try, instead of a range."
    )

    @model_validator(mode="after")
    def _one_form(self) -> IntParam:
        _check_form(self.low, self.high, self.choices, self.log)
        if self.log and self.step != 1:
            raise ValueError("a log-scale integer range takes no step")
        return self

    def values(self) -> list[int]:
        return list(self.choices) if self.choices is not None else [int(self.low or 0), int(self.high or 0)]

    def contains(self, v: float) -> bool:
        if self.choices is not None:
            return v in self.choices
        low, high = int(self.low or 0), int(self.high or 0)
        return float(v).is_integer() and low <= v <= high and (int(v) - low) % self.step == 0


class ModulesParam(Section):
    """Sets of modules that get LoRA adapters: ``all-linear`` or lists of module names."""

    choices: list[Literal["all-linear"] | list[str]] = Field(
        ..., min_length=1, description="Each choice: all-linear, or a list such as [q_proj, v_proj]."
    )

    def names(self) -> list[str]:
        return [modules_key(c) for c in self.choices]


class SearchSettings(Section):
    seed: int = Field(42, description="Seed of the TPE sampler (same seed, same suggestions).")
    startup_trials: int = Field(
        5, ge=0, description="Random trials before TPE models the results; also trials before pruning starts."
    )
    warmup_evals: int = Field(1, ge=0, description="Validations a trial always gets before it can be pruned.")
    numeric_questions: int = Field(
        100, gt=0, description="Validation questions scored per trial when the objective is numeric_accuracy."
    )


class TuneSpace(Section):
    """What a study searches. A key left out (or null) is not searched: the config's value is used."""

    learning_rate: FloatParam | None = Field(None, description="training.learning_rate.")
    lora_r: IntParam | None = Field(None, description="lora.r (rank).")
    lora_alpha_ratio: FloatParam | None = Field(
        None,
        description="lora.alpha as a multiple of the rank (alpha = ratio × r; alpha/r scales the update).",
    )
    lora_dropout: FloatParam | None = Field(None, description="lora.dropout.")
    target_modules: ModulesParam | None = Field(None, description="lora.target_modules.")
    epochs: IntParam | None = Field(
        None, description="training.epochs (early stopping still ends a trial sooner)."
    )
    batch_size: IntParam | None = Field(None, description="training.batch_size (per device).")
    grad_accum: IntParam | None = Field(None, description="training.grad_accum.")
    max_length: IntParam | None = Field(None, description="training.max_length (tokens).")
    search: SearchSettings = Field(default_factory=SearchSettings)

    @field_validator("lora_r", "epochs", "batch_size", "grad_accum")
    @classmethod
    def _positive(cls, v: IntParam | None) -> IntParam | None:
        if v is not None and min(v.values()) < 1:
            raise ValueError(f"values must be at least 1, got {v.values()}")
        return v

    @field_validator("max_length")
    @classmethod
    def _long_enough(cls, v: IntParam | None) -> IntParam | None:
        if v is not None and min(v.values()) <= 8:
            raise ValueError(f"values must be above 8 tokens, got {v.values()}")
        return v

    @field_validator("learning_rate")
    @classmethod
    def _lr(cls, v: FloatParam | None) -> FloatParam | None:
        if v is not None and min(v.values()) <= 0:
            raise ValueError(f"values must be above 0, got {v.values()}")
        return v

    @field_validator("lora_alpha_ratio")
    @classmethod
    def _ratio(cls, v: FloatParam | None) -> FloatParam | None:
        if v is not None and min(v.values()) < 0.25:  # the config rejects alpha < r/4
            raise ValueError(f"values must be at least 0.25 (alpha >= r/4), got {v.values()}")
        return v

    @field_validator("lora_dropout")
    @classmethod
    def _dropout(cls, v: FloatParam | None) -> FloatParam | None:
        if v is not None and not all(0 <= x < 1 for x in v.values()):
            raise ValueError(f"values must be in [0, 1), got {v.values()}")
        return v

    def searched(self) -> list[str]:
        return [k for k in PARAMS if getattr(self, k) is not None]


PARAMS = (
    "learning_rate",
    "lora_r",
    "lora_alpha_ratio",
    "lora_dropout",
    "target_modules",
    "epochs",
    "batch_size",
    "grad_accum",
    "max_length",
)


def _check_form(low: float | None, high: float | None, choices: list[Any] | None, log: bool) -> None:
    if choices is not None:
        if low is not None or high is not None:
            raise ValueError("give either low and high, or choices, not both")
        return
    if low is None or high is None:
        raise ValueError("give low and high (a range), or choices")
    if low > high:
        raise ValueError(f"low ({low}) is above high ({high})")
    if log and low <= 0:
        raise ValueError("a log-scale range needs low > 0")


def modules_key(choice: str | list[str]) -> str:
    """Optuna's choices are scalars: a module list is stored as its names joined by commas."""
    return choice if isinstance(choice, str) else ",".join(choice)


def default_space_file() -> Path:
    return Path(str(resources.files("hirachat") / "resources" / "tune_space.yaml"))


def load_space(path: Path | None = None) -> TuneSpace:
    """The space in ``path`` (default: the packaged one), validated; errors name the key at fault."""
    origin = path or default_space_file()
    if not origin.exists():
        raise ConfigError(f"{origin}: search space file not found")
    try:
        raw = yaml.safe_load(origin.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin}: the top level must be a mapping of parameters")
    try:
        return TuneSpace.model_validate(raw)
    except ValidationError as exc:
        msg = describe_errors(exc, str(origin)).replace("invalid configuration", "invalid search space")
        raise ConfigError(msg) from exc


def suggest(trial: Any, space: TuneSpace) -> dict[str, Any]:
    """Ask the trial for a value of every searched parameter."""
    out: dict[str, Any] = {}
    for name in space.searched():
        p = getattr(space, name)
        if isinstance(p, ModulesParam):
            out[name] = trial.suggest_categorical(name, p.names())
        elif p.choices is not None:
            out[name] = trial.suggest_categorical(name, p.choices)
        elif isinstance(p, IntParam):
            out[name] = trial.suggest_int(name, p.low, p.high, step=p.step, log=p.log)
        else:
            out[name] = trial.suggest_float(name, p.low, p.high, log=p.log)
    return out


def apply(cfg: Config, params: dict[str, Any], run_name: str) -> Config:
    """A validated copy of ``cfg`` with a trial's parameters, writing its run to ``models/<run_name>``."""
    training: dict[str, Any] = {"run_name": run_name, "merge": False}  # a trial needs the adapter only
    lora: dict[str, Any] = {}
    for key, field in (
        ("learning_rate", "learning_rate"),
        ("epochs", "epochs"),
        ("batch_size", "batch_size"),
        ("grad_accum", "grad_accum"),
        ("max_length", "max_length"),
    ):
        if key in params:
            training[field] = params[key]
    if "lora_r" in params:
        lora["r"] = params["lora_r"]
    if "lora_dropout" in params:
        lora["dropout"] = params["lora_dropout"]
    if "lora_alpha_ratio" in params:
        lora["alpha"] = max(1, round(params["lora_alpha_ratio"] * lora.get("r", cfg.lora.r)))
    if "target_modules" in params:
        key = params["target_modules"]
        lora["target_modules"] = ALL_LINEAR if key == ALL_LINEAR else key.split(",")
    tree = merge_trees(cfg.model_dump(), {"training": training, "lora": lora})
    try:
        return Config.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, f"trial settings {params}")) from exc


def current_values(cfg: Config) -> dict[str, Any]:
    """Every searchable parameter's value in ``cfg``, in the space's terms."""
    t, lo = cfg.training, cfg.lora
    return {
        "learning_rate": t.learning_rate,
        "lora_r": lo.r,
        "lora_alpha_ratio": lo.alpha / lo.r,
        "lora_dropout": lo.dropout,
        "target_modules": modules_key(lo.target_modules),
        "epochs": t.epochs,
        "batch_size": t.batch_size,
        "grad_accum": t.grad_accum,
        "max_length": t.max_length,
    }


def defaults(cfg: Config, space: TuneSpace) -> dict[str, Any]:
    """The config's own values of the searched parameters, where the space holds them (the baseline trial)."""
    current = current_values(cfg)
    out: dict[str, Any] = {}
    for name in space.searched():
        p, v = getattr(space, name), current[name]
        if isinstance(p, ModulesParam):
            if v in p.names():
                out[name] = v
        elif p.contains(v):
            out[name] = int(v) if isinstance(p, IntParam) else float(v)
    return out


def cap_batch_sizes(space: TuneSpace, largest: int) -> TuneSpace:
    """The space with batch sizes above ``largest`` removed (what ``--find-batch-size`` found fits)."""
    p = space.batch_size
    if p is None:
        return space
    if p.choices is not None:
        kept = [b for b in p.choices if b <= largest]
        new = p.model_copy(update={"choices": kept or [largest]})
    else:
        new = p.model_copy(update={"high": max(int(p.low or 1), min(int(p.high or 1), largest))})
        if int(p.low or 1) > largest:
            new = IntParam(choices=[largest])
    return space.model_copy(update={"batch_size": new})
