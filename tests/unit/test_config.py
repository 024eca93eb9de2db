from pathlib import Path

import pytest

from hirachat.config import load_config, parse_overrides
from hirachat.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]


def test_repo_config_validates_with_original_hyperparameters() -> None:
    cfg = load_config(REPO / "config" / "config.yaml")
    assert (cfg.lora.r, cfg.lora.alpha, cfg.lora.dropout) == (16, 32, 0.05)
    assert (cfg.training.batch_size, cfg.training.grad_accum, cfg.training.learning_rate) == (2, 4, 2e-4)
    assert cfg.training.max_length == 512 and cfg.training.epochs == 10


def test_unknown_key_is_named(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("training:\n  epochz: 3\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"training\.epochz: unknown key"):
        load_config(p)


def test_wrong_value_is_named(tmp_path: Path) -> None:
    p = tmp_path / "c.yaml"
    p.write_text("data:\n  split:\n    ratios: [0.5, 0.5, 0.5]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"data\.split\.ratios"):
        load_config(p)


def test_overrides_are_typed_and_applied() -> None:
    assert parse_overrides(["training.epochs=3", "data.split.holdout_years=[2019]"]) == {
        "training": {"epochs": 3},
        "data": {"split": {"holdout_years": [2019]}},
    }
    cfg = load_config(REPO / "config" / "config.yaml", ["training.epochs=3", "paths.workspace=/tmp/x"])
    assert cfg.training.epochs == 3 and str(cfg.paths.workspace) == "/tmp/x"
    with pytest.raises(ConfigError, match=r"lora\.r"):
        load_config(None, ["lora.r=-1"])
    with pytest.raises(ConfigError, match="not of the form"):
        parse_overrides(["training.epochs"])


def test_arena_contestants_are_validated() -> None:
    from hirachat.config import Config

    ok = Config.model_validate({"serve": {"arena": [{"name": "a"}, {"name": "b", "engine": "openai"}]}})
    assert [c.name for c in ok.serve.arena] == ["a", "b"]
    for bad in ([{"name": "a"}, {"name": "a"}], [{"name": "hira-chat"}], [{"name": "x", "engine": "gpt"}]):
        with pytest.raises(ValueError):
            Config.model_validate({"serve": {"arena": bad}})
