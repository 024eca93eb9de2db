"""The JupyterLab notebooks: committed without outputs and as notebooks/build.py writes them; both executed
end to end with the tiny model (nbclient, a kernel on this interpreter) in a temporary workspace."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from hirachat.errors import HiraChatError

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO / "notebooks"
TRAINING, INTERFACE = "HIRA_Training_SOLAR_LoRA.ipynb", "HIRA_Interface.ipynb"


def code_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code"]


def test_committed_notebooks_have_no_outputs_and_a_parameters_cell() -> None:
    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    assert {p.name for p in paths} >= {TRAINING, INTERFACE}
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        nbformat.validate(nb)
        for cell in code_cells(nb):
            assert cell.outputs == [] and cell.execution_count is None, f"{p.name} {cell.id}: strip outputs"
        first = code_cells(nb)[0]
        assert first.metadata.get("tags") == ["parameters"], p.name
        assert "HIRACHAT_NB_TINY" in first.source and "HIRACHAT_NB_SET" in first.source


def test_notebooks_are_what_the_generator_writes() -> None:
    res = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "build.py"), "--check"], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr


def test_parameters_resolve_like_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from hirachat.jupyter import session

    assert session.split_list("a.b=1; c=2\n\n d=x y ;") == ["a.b=1", "c=2", "d=x y"]
    assert session.project_root(NOTEBOOKS) == REPO and session.project_root(tmp_path) == tmp_path
    monkeypatch.chdir(NOTEBOOKS)  # where JupyterLab starts a notebook's kernel
    cfg, ws = session.setup("config/config.yaml", f"paths.workspace={tmp_path}; training.max_steps=3", True)
    assert Path.cwd() == REPO and ws.root == tmp_path and (tmp_path / "eval").is_dir()
    assert cfg.training.max_steps == 3  # the user's override wins over the tiny settings
    assert (
        cfg.training.run_name == "tiny-notebook"
        and ws.resolve(cfg.paths.base_model).parent == tmp_path / "models"
    )
    with pytest.raises(HiraChatError, match="HIRACHAT_NB_FILES"):
        session.input_files("", ws, tiny=False)  # no files and an empty store: say which parameter to set
    assert session.input_files("a.csv; dir/b.xlsx", ws, tiny=False) == [Path("a.csv"), Path("dir/b.xlsx")]


def test_adapter_and_evaluation_folders(tmp_path: Path) -> None:
    from hirachat.config import Config
    from hirachat.jupyter import session
    from hirachat.paths import Workspace

    ws = Workspace(tmp_path).create()
    cfg = Config.model_validate({"training": {"run_name": "r"}})
    assert session.find_adapter(cfg, ws) is None
    run = tmp_path / "models" / "r"
    for folder in ("final_model", "best_model"):
        (run / folder).mkdir(parents=True)
        (run / folder / "adapter_config.json").write_text("{}")
        assert session.find_adapter(cfg, ws) == run / folder  # best_model once there is one
    cfg.inference.adapter = Path("models/other")
    assert session.find_adapter(cfg, ws) == tmp_path / "models" / "other"
    assert session.find_adapter(cfg, ws, str(tmp_path / "given")) == tmp_path / "given"
    data = tmp_path / "test.jsonl"
    data.write_text("one\n")
    first = session.eval_dir(ws, "batch", [data])
    assert session.eval_dir(ws, "batch", [data]) == first  # same inputs: the same folder, resumed
    assert session.eval_dir(ws, "batch", [data], "another base") != first
    data.write_text("two\n")
    assert session.eval_dir(ws, "batch", [data]) != first and first.parent == ws.eval


@pytest.fixture(scope="module")
def kernels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 'python3' kernelspec on this interpreter, in a temporary folder: no global Jupyter install needed."""
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(prefix=str(prefix), kernel_name="python3")
    return prefix / "share" / "jupyter" / "kernels"


def execute(name: str, kernels: Path, env: dict[str, str], probe: str = "") -> Any:
    """Run every cell as JupyterLab would (cwd: notebooks/); any cell error fails. ``probe`` is appended."""
    from jupyter_client.kernelspec import KernelSpecManager
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    if probe:
        nb.cells.append(nbformat.v4.new_code_cell(probe))
    km = AsyncKernelManager(
        kernel_name="python3", kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(kernels)])
    )
    client = NotebookClient(nb, km=km, timeout=900, resources={"metadata": {"path": str(NOTEBOOKS)}})
    full = {k: v for k, v in os.environ.items() if not k.startswith("HIRACHAT_NB_")}
    client.execute(env={**full, **env})
    return nb


def outputs(cell: Any, kind: str) -> list[Any]:
    return [o for o in cell.outputs if kind in o.get("data", {})]


def stdout(cell: Any) -> str:
    return "".join(o.get("text", "") for o in cell.outputs if o.get("name") == "stdout")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, kernels: Path) -> tuple[Path, Any, Any]:
    """The training notebook, then the interface notebook on its workspace (the adapter it trained)."""
    ws = tmp_path_factory.mktemp("nb") / "workspace"
    env = {"HIRACHAT_NB_TINY": "1", "HIRACHAT_NB_SET": f"paths.workspace={ws}"}
    training = execute(TRAINING, kernels, env)
    probe = "import json; print('PROBE' + json.dumps(panel.last, ensure_ascii=False, default=str))"
    interface = execute(INTERFACE, kernels, env, probe)
    return ws, training, interface


@pytest.mark.slow
def test_training_notebook_trains_saves_and_evaluates(runs: tuple[Path, Any, Any]) -> None:
    ws, nb, _ = runs
    run = ws / "models" / "tiny-notebook"
    for folder in ("best_model", "final_model"):
        assert (run / folder / "adapter_config.json").is_file(), folder
    history = json.loads((run / "training_history.json").read_text(encoding="utf-8"))
    assert history["global_step"] == 8 and len(history["evals"]) == 2
    (evals,) = sorted((ws / "eval").glob("notebook-training-*"))
    m = json.loads((evals / "metrics.json").read_text(encoding="utf-8"))
    assert set(m["variants"]) == {"grounded", "guarded@t0.1"} and m["n_questions"] == 12
    assert m["variants"]["grounded"]["overall"]["accuracy"] == 1.0  # the deterministic answers are right
    assert (evals / "report.html").is_file()
    cells = {c.id: c for c in code_cells(nb)}
    assert str(evals / "report.html") in "".join(stdout(c) for c in cells.values())
    # the loss curve and the accuracy chart are shown inline, the metrics as a table
    assert any(outputs(c, "image/png") for c in cells.values() if "run.plot" in c.source)
    assert any(outputs(c, "image/png") for c in cells.values() if "report_images" in c.source)
    assert any(outputs(c, "text/html") for c in cells.values() if "views.metrics(m)" in c.source)


@pytest.mark.slow
def test_interface_notebook_answers_with_sources_and_compares_temperatures(
    runs: tuple[Path, Any, Any],
) -> None:
    ws, _, nb = runs
    probe = code_cells(nb)[-1]
    last = json.loads(stdout(probe).split("PROBE", 1)[1])
    assert not last["abstained"] and last["sources"] and last["interpretation"].startswith("이해한 질문")
    # what the widget showed: its Output captured the answer and the sources table
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    shown = json.dumps(
        [s["state"].get("outputs", []) for s in state.values() if s["model_name"] == "OutputModel"],
        ensure_ascii=False,
    )
    assert last["answer"].split("\n")[0] in shown and "이해한 질문" in shown and "measure" in shown
    batch = next(c for c in code_cells(nb) if "ask_many" in c.source)
    assert outputs(batch, "text/html")
    (scored,) = sorted((ws / "eval").glob("notebook-batch-*"))
    assert set(json.loads((scored / "metrics.json").read_text())["variants"]) == {"grounded"}
    (sweep,) = sorted((ws / "eval").glob("notebook-temperature-*"))
    m = json.loads((sweep / "metrics.json").read_text(encoding="utf-8"))
    assert set(m["variants"]) == {"model@t0.1", "model@t0.7", "guarded@t0.1", "guarded@t0.7"}
    temp_cell = next(c for c in code_cells(nb) if "TEMPERATURES.split" in c.source)
    assert outputs(temp_cell, "image/png")  # the temperature sweep chart, inline
