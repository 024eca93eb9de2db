"""Typed configuration: one YAML file, one section per stage, validated on load.

Every field has a help line (``description``). Unknown keys and wrong values are errors that name
the key. ``key=value`` overrides (dotted paths, YAML-typed values) are applied before validation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from hirachat.errors import ConfigError

DEFAULT_CONFIG = Path("config/config.yaml")


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class PathsConfig(Section):
    workspace: Path = Field(Path("workspace"), description="Root of everything hira-chat writes.")
    base_model: Path = Field(
        Path("models/SOLAR-10.7B-v1.0"),
        description="Local directory of the base model (relative paths resolve under the workspace).",
    )
    store: Path = Field(
        Path("data/hira/processed"),
        description="The facts store directory (relative paths resolve under the workspace); --store overrides.",
    )


class SplitConfig(Section):
    ratios: tuple[float, float, float] = Field((0.8, 0.1, 0.1), description="train/val/test shares.")
    seed: int = Field(42, description="Seed for every random choice in the split.")
    strict_facts: bool = Field(
        True,
        description="No fact in two splits. Aggregates across a table's partition dimension are then skipped.",
    )
    holdout_tables: list[str] = Field(default_factory=list, description="Table ids sent whole to test.")
    holdout_years: list[int] = Field(default_factory=list, description="Years sent whole to test.")

    @field_validator("ratios")
    @classmethod
    def _ratios_sum_to_one(cls, v: tuple[float, float, float]) -> tuple[float, float, float]:
        if any(r < 0 for r in v) or abs(sum(v) - 1.0) > 1e-6:
            raise ValueError(f"ratios must be non-negative and sum to 1, got {list(v)}")
        return v


class CleanConfig(Section):
    max_instruction_chars: int = Field(300, gt=10, description="Longer questions are quarantined.")
    max_output_chars: int = Field(2000, gt=10, description="Longer answers are quarantined.")
    min_output_chars: int = Field(4, ge=1, description="Shorter answers are quarantined.")


class BuildConfig(Section):
    pairs_per_type: int = Field(
        200, gt=0, description="Target paraphrase groups per question type per table (sampled)."
    )
    phrasings: int = Field(2, ge=1, le=8, description="Phrasings generated per paraphrase group.")
    augment: int = Field(0, ge=0, le=8, description="Extra phrasings per train group (0 = none).")
    top_k: int = Field(3, ge=2, le=10, description="k in ranking questions.")
    with_facts: float = Field(
        0.5, ge=0, le=1, description="Share of pairs whose input holds fact cards (retrieval-style prompt)."
    )
    context_cards: int = Field(
        3, ge=0, le=20, description="Neighbouring fact cards added to a retrieval-style input."
    )
    seed: int = Field(7, description="Seed for sampling and phrasing.")


class DataConfig(Section):
    encodings: list[str] = Field(
        ["utf-8-sig", "cp949"], description="Encodings tried in order for CSV files (UTF-8 BOM is detected)."
    )
    split: SplitConfig = Field(default_factory=SplitConfig)
    clean: CleanConfig = Field(default_factory=CleanConfig)
    build: BuildConfig = Field(default_factory=BuildConfig)


class LoraConfig(Section):
    r: int = Field(16, gt=0, description="LoRA rank.")
    alpha: int = Field(32, gt=0, description="LoRA alpha.")
    dropout: float = Field(0.05, ge=0, lt=1, description="LoRA dropout.")
    target_modules: list[str] | Literal["all-linear"] = Field(
        "all-linear", description="Modules that get adapters."
    )
    qlora_4bit: bool = Field(False, description="Load the base in 4-bit (bitsandbytes) for QLoRA.")


class TrainingConfig(Section):
    epochs: float = Field(10, gt=0, description="Training epochs.")
    batch_size: int = Field(2, gt=0, description="Per-device batch size.")
    grad_accum: int = Field(4, gt=0, description="Gradient accumulation steps.")
    learning_rate: float = Field(2e-4, gt=0, description="Peak learning rate.")
    max_length: int = Field(512, gt=8, description="Maximum tokens per sample.")
    warmup_ratio: float = Field(0.03, ge=0, lt=1, description="Warm-up share of steps.")
    early_stopping_patience: int = Field(
        3, ge=0, description="Evaluations without improvement before stop (0: off)."
    )
    seed: int = Field(42, description="Training seed.")
    packing: bool = Field(True, description="Padding-free best-fit packing (no compute on padding).")
    eval_steps: int | None = Field(None, gt=0, description="Validate every N steps (default: every epoch).")
    logging_steps: int = Field(10, gt=0, description="Log losses, lr, tokens/s every N steps.")
    save_total_limit: int = Field(2, gt=0, description="Checkpoints kept for resuming.")
    max_steps: int = Field(-1, description="Stop after N optimizer steps (-1: run all epochs).")
    gradient_checkpointing: bool = Field(True, description="Recompute activations to save memory.")
    merge: bool = Field(
        False, description="Also save the adapter merged into the base as a standalone model."
    )
    tensorboard: bool = Field(False, description="Also log to TensorBoard (needs the tensorboard package).")
    run_name: str = Field("solar-hira-lora", description="Folder under workspace/models for this run.")
    data_dir: Path | None = Field(
        None, description="Folder with train.jsonl/val.jsonl (default: the cleaned dataset)."
    )


class InferenceConfig(Section):
    temperature: float = Field(0.1, ge=0, le=2, description="Sampling temperature.")
    top_p: float = Field(0.9, gt=0, le=1, description="Nucleus sampling.")
    max_new_tokens: int = Field(256, gt=0, le=4096, description="Cap on generated tokens.")
    engine: Literal["grounded", "local", "openai"] = Field(
        "grounded",
        description="Answer engine: grounded (deterministic), local (base + LoRA adapter via transformers), "
        "or openai (any OpenAI-compatible server such as vLLM).",
    )
    adapter: Path | None = Field(
        None, description="LoRA adapter folder for the local engine (e.g. a run's best_model)."
    )
    endpoint: str | None = Field(
        None, description="Base URL of an OpenAI-compatible server, e.g. http://gpu01:8000/v1."
    )
    model: str | None = Field(None, description="Model name to request from the endpoint.")
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="Environment variable holding the endpoint's API key."
    )
    timeout_s: float = Field(30.0, gt=0, description="Seconds to wait for the endpoint before falling back.")
    max_retries: int = Field(
        1, ge=0, le=10, description="Retries of a failed endpoint request (connection errors, 429, 5xx)."
    )
    stop: list[str] | None = Field(
        None,
        description="Stop strings (local generation, and sent to the endpoint); null: the prompt template's "
        "turn headers (### System:, ### User:, ### Assistant:); [] for none.",
    )
    static_cache: bool = Field(
        True, description="Local engine: a preallocated KV cache (fixed shapes; needed for compile)."
    )
    compile: bool = Field(
        True,
        description="Local engine on CUDA: compile the per-token step (torch.compile, CUDA graphs). "
        "Ignored on the CPU, which decodes eagerly.",
    )
    adapter_mode: Literal["merged", "unmerged"] = Field(
        "merged",
        description="Local engine: merge the LoRA adapter into the base (fastest) or keep adapters unmerged "
        "(arena contestants with different adapters then share one base in memory).",
    )


class RetrievalConfig(Section):
    top_k: int = Field(3, ge=0, description="Similar stored rows shown after an abstention (0: none).")


class ContestantConfig(Section):
    """One anonymous side in blind A/B: an engine with its own settings over the inference section."""

    name: str = Field(..., min_length=1, max_length=64, description="Name shown after the vote.")
    engine: Literal["grounded", "local", "openai"] = Field("grounded", description="Answer engine.")
    adapter: Path | None = Field(None, description="LoRA adapter (local engine).")
    endpoint: str | None = Field(None, description="OpenAI-compatible base URL (openai engine).")
    model: str | None = Field(None, description="Model name at the endpoint (openai engine).")
    temperature: float | None = Field(None, ge=0, le=2, description="Overrides inference.temperature.")


class ServeConfig(Section):
    host: str = Field("127.0.0.1", description="Bind address.")
    port: int = Field(8000, gt=0, lt=65536, description="Port.")
    workers: int = Field(
        1, ge=1, le=64, description="Server processes (each with its own read-only store); limits are shared."
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the ratings database (default: SQLite in WAL mode at "
        "workspace/web/hirachat.db; PostgreSQL: postgresql+psycopg://user:pw@host/db).",
    )
    max_body_bytes: int = Field(65536, gt=1024, description="Larger request bodies get 413.")
    max_question_chars: int = Field(500, gt=10, description="Longer questions get 422.")
    max_tokens_cap: int = Field(1024, gt=0, description="Ceiling on a request's max_tokens.")
    rate_limit_per_minute: int = Field(
        120, ge=0, description="Requests per minute per user (or per address without login); 0: off."
    )
    token_ttl_hours: float = Field(12, gt=0, description="Lifetime of a login token.")
    api_token_days: float = Field(
        90,
        ge=0,
        description="Lifetime of a new API token in days (0: no expiry). Owners and admins can revoke.",
    )
    login_max_failures: int = Field(
        5, gt=0, description="Wrong passwords for one account within the window before it is locked."
    )
    login_max_per_address: int = Field(
        20, gt=0, description="Failed logins from one client address within the window before it gets 429."
    )
    login_window_minutes: float = Field(15, gt=0, description="The window failed logins are counted in.")
    login_lockout_minutes: float = Field(
        15, gt=0, description="How long a locked account stays locked (an admin can unlock it sooner)."
    )
    metrics_require_token: bool = Field(False, description="/metrics needs an admin's bearer token.")
    api_requires_token: bool = Field(
        True, description="/v1 endpoints need a bearer token (a login or an API token)."
    )
    log_questions: bool = Field(
        True,
        description="Log every answered question (surface, engine, interpretation, tables, latency, "
        "abstention, fallback) in the web database for the admin monitoring page.",
    )
    log_question_text: bool = Field(
        True,
        description="Keep the question's text in the log; false stores none (the monitoring page then "
        "groups abstained questions by interpretation and reason).",
    )
    log_retention_days: int = Field(
        180,
        ge=0,
        description="Question-log rows older than this are deleted at start-up and daily (0: kept forever).",
    )
    arena: list[ContestantConfig] = Field(
        default_factory=list,
        description="Contestants for blind A/B (at least two to enable it). Default: the grounded engine "
        "and, when it is not grounded, inference.engine.",
    )

    @field_validator("arena")
    @classmethod
    def _unique_names(cls, v: list[ContestantConfig]) -> list[ContestantConfig]:
        names = [c.name for c in v]
        if len(set(names)) != len(names):
            raise ValueError(f"contestant names must be unique, got {names}")
        if "hira-chat" in names:
            raise ValueError("'hira-chat' names the serving model; give the contestant another name")
        return v


class Config(Section):
    paths: PathsConfig = Field(default_factory=PathsConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    lora: LoraConfig = Field(default_factory=LoraConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    inference: InferenceConfig = Field(default_factory=InferenceConfig)
    retrieval: RetrievalConfig = Field(default_factory=RetrievalConfig)
    serve: ServeConfig = Field(default_factory=ServeConfig)

    @model_validator(mode="after")
    def _check(self) -> Config:
        if self.lora.alpha < self.lora.r / 4:
            raise ValueError(f"lora.alpha={self.lora.alpha} is implausibly small for r={self.lora.r}")
        return self


def _set_dotted(tree: dict[str, Any], dotted: str, value: Any) -> None:
    keys = dotted.split(".")
    node = tree
    for k in keys[:-1]:
        child = node.setdefault(k, {})
        if not isinstance(child, dict):
            raise ConfigError(f"override {dotted!r}: {k!r} is not a section")
        node = child
    node[keys[-1]] = value


def parse_overrides(items: list[str]) -> dict[str, Any]:
    """Turn ``["training.epochs=3", "data.split.seed=1"]`` into a nested dict (values read as YAML)."""
    tree: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} is not of the form section.key=value")
        _set_dotted(tree, key.strip(), yaml.safe_load(raw) if raw.strip() else "")
    return tree


def merge_trees(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in extra.items():
        out[k] = merge_trees(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def describe_errors(err: ValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid configuration"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = "unknown key" if e["type"] == "extra_forbidden" else e["msg"]
        lines.append(f"  - {where}: {msg}")
    return "\n".join(lines)


def with_file(cfg: Config, path: Path) -> Config:
    """``cfg`` with a YAML file of sections laid over it (a profile), validated; errors name the file."""
    try:
        extra = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the profile: {exc}") from exc
    if not isinstance(extra, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    try:
        return Config.model_validate(merge_trees(cfg.model_dump(mode="json"), extra))
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, str(path))) from exc


def load_config(path: Path | None = None, overrides: list[str] | None = None) -> Config:
    """Load and validate a config. With no path, use config/config.yaml if present, else defaults."""
    origin = path or DEFAULT_CONFIG
    raw: dict[str, Any] = {}
    if origin.exists():
        try:
            loaded = yaml.safe_load(origin.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{origin}: not valid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{origin}: the top level must be a mapping of sections")
        raw = loaded or {}
    elif path is not None:
        raise ConfigError(f"{path}: config file not found")
    raw = merge_trees(raw, parse_overrides(overrides or []))
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, str(origin))) from exc
