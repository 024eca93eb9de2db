"""A readiness check's row and the report of them (what `doctor` prints and returns), and which configs
need the model or the training stack. Shared by the general checks (doctor.py) and the model's
(doctor_model.py)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from hirachat.config import Config

Status = Literal["ok", "warn", "fail"]


@dataclass(frozen=True)
class Check:
    """One row of the report; ``fix`` says what to do when the status is not ok."""

    name: str
    status: Status
    value: str
    fix: str = ""


@dataclass
class Report:
    checks: list[Check]

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)

    def as_dict(self) -> dict[str, Any]:
        counts = {s: sum(c.status == s for c in self.checks) for s in ("ok", "warn", "fail")}
        return {"ok": not self.failed, "counts": counts, "checks": [asdict(c) for c in self.checks]}

    def table(self) -> str:
        """Status, name and value in columns; the fix on the line below each row that is not ok."""
        width = max(len(c.name) for c in self.checks)
        lines = []
        for c in self.checks:
            lines.append(f"{c.status.upper():4}  {c.name:<{width}}  {c.value}")
            if c.status != "ok" and c.fix:
                lines.append(f"{'':4}  {'':<{width}}  → {c.fix}")
        counts = self.as_dict()["counts"]
        verdict = "something needed is missing" if self.failed else "ready"
        lines.append(f"\n{counts['ok']} ok, {counts['warn']} warnings, {counts['fail']} failures: {verdict}")
        return "\n".join(lines)


def uses_model(cfg: Config) -> bool:
    """Whether the config's answers need the local model (the local engine, or an arena contestant)."""
    return cfg.inference.engine == "local" or any(c.engine == "local" for c in cfg.serve.arena)


def needs_training_stack(cfg: Config) -> bool:
    """The local engine or QLoRA training: torch, transformers and peft are then needed, not optional."""
    return uses_model(cfg) or cfg.lora.qlora_4bit
