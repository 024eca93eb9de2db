"""Writes the two notebooks in this folder from the cells below: the .ipynb files are generated, never edited.

    python notebooks/build.py           # rewrite HIRA_Training_SOLAR_LoRA.ipynb and HIRA_Interface.ipynb
    python notebooks/build.py --check   # exit 1 when a committed notebook differs from what this writes

Every notebook is written without outputs or execution counts, with fixed cell ids, so that git diffs show
only real changes. Each code cell is a few lines of glue around the package's own stage functions.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

COMMON_PARAMS = """\
# 매개변수 (parameters). 여기서 고치거나 환경 변수로 덮어씁니다 (papermill: -p NAME value).
import os

CONFIG = os.environ.get("HIRACHAT_NB_CONFIG", "config/config.yaml")  # 설정 파일, 프로젝트 루트 기준
SET = os.environ.get("HIRACHAT_NB_SET", "")  # 설정 덮어쓰기: "training.epochs=3; lora.r=32"
TINY = os.environ.get("HIRACHAT_NB_TINY", "0") == "1"  # 1: 작은 모델 + 합성 데이터 (CPU에서 1-2분)
EVAL_LIMIT = int(os.environ.get("HIRACHAT_NB_EVAL_LIMIT", "0"))  # 평가 문항 수 (0: test 전체)
"""

TRAINING: list[tuple[str, str]] = [
    (
        "md",
        """\
# HIRA 통계 챗봇: SOLAR-10.7B LoRA 학습 (fine-tuning SOLAR with LoRA)

심평원(HIRA) 통계 파일에서 질문-답변 데이터를 만들고, 로컬에 있는 SOLAR-10.7B에 LoRA 어댑터를 학습한 뒤
평가합니다. 각 셀은 `hira-chat` 명령이 부르는 패키지 함수를 그대로 부릅니다 (`hira-chat data ingest`,
`data build`, `train`, `eval`). 인터넷은 쓰지 않습니다: 모델은 `paths.base_model` 폴더에서만 읽습니다.

This notebook builds the QA dataset from HIRA downloads, fine-tunes a LoRA adapter on the local SOLAR copy and
evaluates it. Every cell calls the same package function as the matching `hira-chat` command; nothing is
downloaded. Run the cells top to bottom. Set the parameters in the next cell or with environment variables
(`HIRACHAT_NB_*`, see docs/notebooks.md); `HIRACHAT_NB_TINY=1` runs everything on a CPU with a tiny
SOLAR-architecture model and synthetic data in a minute or two.""",
    ),
    (
        "params",
        COMMON_PARAMS
        + """\
FILES = os.environ.get("HIRACHAT_NB_FILES", "")  # 적재할 HIRA 파일·폴더 (';' 구분; 비우면 기존 저장소 사용)
""",
    ),
    (
        "md",
        """\
## 0. 설정 (configuration)

설정 파일을 읽고 `SET`을 적용해 검증합니다. 상대 경로는 명령줄과 같이 프로젝트 루트 기준입니다.
The config is read and validated as on the command line; relative paths resolve from the project root.""",
    ),
    (
        "code",
        """\
from hirachat.jupyter import session, views

cfg, ws = session.setup(CONFIG, SET, TINY)
EVAL_LIMIT = EVAL_LIMIT or (session.TINY_EVAL_LIMIT if TINY else 0)
print("project root:", os.getcwd())
print("workspace:   ", ws.root.resolve())
print("base model:  ", ws.resolve(cfg.paths.base_model))""",
    ),
    (
        "md",
        """\
## 1. 환경 점검 (environment check)

`hira-chat doctor`와 같은 점검: Python, 패키지, PyTorch와 CUDA, GPU와 메모리, bf16 지원, 오프라인 변수, 모델
폴더, 디스크, 작업 폴더, 한글 글꼴, 사실 저장소. `fail`은 필요한 것이 없다는 뜻이고, 각 행에 고치는 방법이
있습니다. SOLAR-10.7B LoRA(bf16)는 GPU 한 장에 약 24 GiB 이상이 필요합니다; 부족하면 `lora.qlora_4bit=true`.
The checks of `hira-chat doctor`, each with what to do about it. SOLAR in bf16 needs about 24 GiB on one GPU
for LoRA; with less, use QLoRA (`lora.qlora_4bit=true`).""",
    ),
    (
        "code",
        """\
from hirachat.ops.doctor import run_doctor

doctor = run_doctor(cfg)  # hira-chat doctor
print("ready" if not doctor.failed else "something needed is missing: see the rows marked fail")
views.checks(doctor)""",
    ),
    (
        "md",
        """\
## 2. 데이터 (data)

HIRA 파일을 사실 저장소(DuckDB)에 적재하고 (`hira-chat data ingest`), 질문-답변 쌍을 만들어 사실이
겹치지 않게 train/val/test로 나눕니다 (`hira-chat data build`). 잘못된 행은 격리되고 보고서에 남습니다.
Ingest the files into the facts store, then generate the QA pairs and split them without leakage.""",
    ),
    (
        "code",
        """\
from hirachat.data.ingest import ingest, summary
from hirachat.dataset.build import build_dataset

files = session.input_files(FILES, ws, TINY)
if files:
    reports = ingest(files, ws.store_dir, cfg.data, ws.raw)
    for r in reports:
        print(r.line())
    print(summary(reports))
dataset = build_dataset(ws.store_dir, ws.cleaned, cfg.data)
print(dataset.describe())
views.splits(dataset.stats)""",
    ),
    ("md", "학습 데이터 몇 건 (a few training pairs): 질문, 사실 카드(있으면), 답, 질문 유형, 표."),
    ("code", 'views.records(ws.cleaned / "train.jsonl", 5)'),
    (
        "md",
        """\
## 3. 기본 모델 (base model)

`paths.base_model` 폴더를 점검하고 (설정, 토크나이저, 가중치 파일) 구조와 파라미터 수를 보여 줍니다.
가중치는 5단계에서 학습 레시피가 읽습니다; 여기서는 구조만 만들어 (meta device) GPU 메모리를 쓰지 않습니다.
The model folder is checked (config, tokenizer, every weight shard) and its structure counted without loading
the weights (meta device); the recipe loads them in step 5.""",
    ),
    (
        "code",
        """\
from hirachat.model.load import load_tokenizer

base = session.ensure_tiny_model(cfg, ws) if TINY else ws.resolve(cfg.paths.base_model)
tokenizer = load_tokenizer(base)
sample = "2019년 서울 내과 환자수는?"
print(f"tokenizer: {len(tokenizer):,} tokens; {sample!r} → {len(tokenizer(sample)['input_ids'])} tokens")
views.facts(session.model_facts(base))""",
    ),
    (
        "md",
        """\
## 4. LoRA 설정 (LoRA settings)

설정 파일의 `lora:`와 `training:` 섹션입니다 (원래 레시피: r=16, alpha=32, dropout 0.05, 모든 선형층).
바꾸려면 `SET`에 예: `lora.r=32; lora.alpha=64; training.epochs=3`.
The `lora` and `training` sections as the recipe applies them, with the share of parameters LoRA trains.""",
    ),
    ("code", "views.facts(session.lora_facts(cfg, base))"),
    (
        "md",
        """\
## 5. 학습 (training)

`hira-chat train`과 같은 레시피 (TRL SFT, 답 토큰만 손실, 패딩 없는 packing, 조기 종료). 중단되면 다시
실행하세요: 마지막 체크포인트에서 이어집니다. 여러 GPU는 명령줄에서 `torchrun`으로 (docs/training.md).
The recipe of `hira-chat train`; rerun after an interruption and it resumes from the last checkpoint.
Multi-GPU runs go through `torchrun` on the command line (a notebook is one process).""",
    ),
    (
        "code",
        """\
from hirachat.train.recipe import train

run = train(cfg, ws)
print("run folder:", run.root)""",
    ),
    (
        "md",
        """\
## 6. 저장 (saved models)

`best_model/`(검증 손실이 가장 낮은 어댑터), `final_model/`(마지막 어댑터), `training_history.json`,
`loss_curve.png`. 독립 모델로 합치기: `hira-chat model export --adapter .../best_model --out DIR`.
The best and final adapters, the history and the loss curve.""",
    ),
    (
        "code",
        """\
from IPython.display import Image, display

for name, folder in (("best", run.best), ("final", run.final)):
    print(f"{name:5s} {folder}: {'saved' if (folder / 'adapter_config.json').exists() else 'missing'}")
display(views.facts(views.history(run.history)))
Image(filename=str(run.plot))""",
    ),
    (
        "md",
        """\
## 7. 평가 (evaluation)

test 세트에서 결정적 답변(grounded)과 학습한 모델(guarded: 근거 검사 후 실패하면 grounded로 대체)을
비교합니다. `hira-chat eval --engine grounded,guarded --adapter ...`와 같습니다. 보고서는 report.html.
Grounded answers against the fine-tuned model behind the grounding check, on the test split.""",
    ),
    (
        "code",
        """\
from hirachat.eval.run import evaluate

adapter = run.best if (run.best / "adapter_config.json").exists() else run.final
test = ws.cleaned / "test.jsonl"
eval_run = session.eval_dir(ws, "training", [test, adapter / "adapter_model.safetensors"], str(base))
engines, temps = ["grounded", "guarded"], [cfg.inference.temperature]
m = evaluate(cfg, ws.store_dir, test, eval_run, engines, temps, EVAL_LIMIT or None, base, adapter)
print("report:", eval_run / "report.html")
views.metrics(m)""",
    ),
    (
        "code",
        """\
display(*views.report_images(m, eval_run, ["accuracy_by_type"]))
views.by_type(m, next(v for v in m["variants"] if v.startswith("guarded")))""",
    ),
    (
        "md",
        """\
## 다음 단계 (next)

- 질의응답과 온도 비교: `HIRA_Interface.ipynb` (같은 설정이면 이 학습의 best_model을 씁니다).
- 웹 앱으로 서비스: `hira-chat serve --set inference.engine=local --set inference.adapter=<best_model>`.

Ask questions and compare temperatures in HIRA_Interface.ipynb; serve the adapter with `hira-chat serve`.""",
    ),
]

INTERFACE: list[tuple[str, str]] = [
    (
        "md",
        """\
# HIRA 통계 챗봇: 질의응답 (Q&A interface)

사실 저장소에서 근거와 함께 답하는 `hira-chat ask`를 노트북에서 씁니다: 질문 상자, 이해한 질문, 출처 표,
답변 보류 사유, 일괄 질문과 평가, 생성 온도 비교. 학습 노트북을 먼저 실행했다면 그 어댑터를 씁니다.

Ask questions the way `hira-chat ask` answers them (with sources, the question as understood and the reason
for an abstention), answer a batch, score the test split and compare sampling temperatures of the fine-tuned
model. Parameters: the next cell or `HIRACHAT_NB_*` environment variables (docs/notebooks.md).""",
    ),
    (
        "params",
        COMMON_PARAMS
        + """\
ENGINE = os.environ.get("HIRACHAT_NB_ENGINE", "")  # grounded | local | openai (비우면 inference.engine)
ADAPTER = os.environ.get("HIRACHAT_NB_ADAPTER", "")  # LoRA 어댑터 (비우면 inference.adapter, 이어서 학습 run)
QUESTIONS = os.environ.get("HIRACHAT_NB_QUESTIONS", "")  # 일괄 질문 파일, 한 줄에 하나 (비우면 예시 질문)
TEMPERATURES = os.environ.get("HIRACHAT_NB_TEMPERATURES", "0.1,0.7")  # 비교할 생성 온도
""",
    ),
    (
        "code",
        """\
from hirachat.jupyter import session, views

cfg, ws = session.setup(CONFIG, SET, TINY)
if TINY:
    session.ensure_tiny_workspace(cfg, ws)
EVAL_LIMIT = EVAL_LIMIT or (session.TINY_EVAL_LIMIT if TINY else 0)
base = ws.resolve(cfg.paths.base_model)
adapter = session.find_adapter(cfg, ws, ADAPTER)
inference = cfg.inference.model_copy(update={"adapter": adapter})
print("workspace:", ws.root.resolve())
print("engine:   ", ENGINE or cfg.inference.engine)
print("model:    ", base, "+", adapter or "(no adapter)")""",
    ),
    (
        "md",
        """\
## 1. 질문하기 (ask)

질문을 입력하고 버튼을 누르세요. 답 아래에 **이해한 질문**(질문을 어떻게 읽었는지), 출처(표, 파일, 행),
답할 수 없으면 그 사유가 나옵니다. 아래 예시는 셀을 실행할 때 자동으로 한 번 묻습니다.
Type a question and press the button: the answer, the question as understood, its sources, and why it
abstained when the data cannot answer. The cell asks one example question when it runs.""",
    ),
    (
        "code",
        """\
from IPython.display import display

from hirachat.answer.service import AskService

svc = AskService(ws.store_dir, inference, ENGINE or None, base, cfg.retrieval.top_k)
panel = views.AskPanel(svc)
panel.ask(session.example_questions(ws)[0])  # an example; type your own question in the box
display(panel.widget)""",
    ),
    (
        "md",
        """\
## 2. 일괄 질문 (batch questions)

`QUESTIONS` 파일의 질문(한 줄에 하나)을 한꺼번에 답합니다 (`hira-chat ask --file`). 비우면 test 세트에서
고른 유형별 예시와 데이터에 없는 질문 하나. Answer many questions at once.""",
    ),
    (
        "code",
        """\
from pathlib import Path

questions = (
    Path(QUESTIONS).read_text(encoding="utf-8").splitlines() if QUESTIONS else session.example_questions(ws)
)
batch = list(svc.ask_many(questions))
views.answers(batch)""",
    ),
    (
        "md",
        """\
## 3. 일괄 평가 (batch evaluation)

test 세트를 결정적 답변 엔진으로 채점합니다: 수치 정확도, 환각률, 답변 보류 정밀도/재현율, chrF, 지연.
`hira-chat eval --engine grounded`와 같습니다. Score the test split with the grounded engine.""",
    ),
    (
        "code",
        """\
from hirachat.eval.run import evaluate

test = ws.cleaned / "test.jsonl"
batch_run = session.eval_dir(ws, "batch", [test])
temps = [cfg.inference.temperature]  # the grounded engine does not sample; no model is loaded
scored = evaluate(cfg, ws.store_dir, test, batch_run, ["grounded"], temps, EVAL_LIMIT or None, None, None)
print("report:", batch_run / "report.html")
display(views.metrics(scored))
views.by_type(scored, "grounded")""",
    ),
    (
        "md",
        """\
## 4. 온도 비교 (temperature comparison)

모델이 직접 쓴 답(model)과 근거 검사를 거친 답(guarded)을 생성 온도별로 채점합니다. 온도가 높을수록
표현은 다양해지지만 숫자를 틀릴(환각) 위험이 커집니다; guarded는 틀린 숫자를 내보내지 않습니다.
The model's own answers (model) and the checked ones (guarded) at each temperature: accuracy and
hallucination rate per temperature, then the same questions answered side by side.""",
    ),
    (
        "code",
        """\
temps = [float(t) for t in TEMPERATURES.split(",") if t.strip()]
weights = [adapter / "adapter_model.safetensors"] if adapter else []
sweep_run = session.eval_dir(ws, "temperature", [test, *weights], str(base))
sweep = evaluate(
    cfg, ws.store_dir, test, sweep_run, ["model", "guarded"], temps, EVAL_LIMIT or None, base, adapter
)
print("report:", sweep_run / "report.html")
display(views.metrics(sweep))
display(*views.report_images(sweep, sweep_run, ["sweep"]))
views.answers_by_variant(sweep_run, 5)""",
    ),
    (
        "md",
        """\
## 5. 정리 (close)

저장소를 닫습니다. 다른 커널에서 데이터를 다시 적재하기 전에 실행하세요 (DuckDB 파일 잠금).
Close the store before ingesting from another kernel (DuckDB locks the file).""",
    ),
    ("code", "svc.close()"),
]


def notebook(cells: list[tuple[str, str]], prefix: str) -> nbformat.NotebookNode:
    """A notebook with a Python 3 kernel, fixed cell ids and no outputs; 'params' is the parameters cell."""
    out = []
    for k, (kind, source) in enumerate(cells):
        text = source.rstrip("\n")
        cell = new_markdown_cell(text) if kind == "md" else new_code_cell(text)
        cell.id = f"{prefix}-{k:02d}"
        if kind == "params":
            cell.metadata["tags"] = ["parameters"]
        out.append(cell)
    nb = new_notebook(cells=out)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


NOTEBOOKS = {
    "HIRA_Training_SOLAR_LoRA.ipynb": notebook(TRAINING, "train"),
    "HIRA_Interface.ipynb": notebook(INTERFACE, "ask"),
}


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for name, nb in NOTEBOOKS.items():
        nbformat.validate(nb)
        text = nbformat.writes(nb) + "\n"
        path = HERE / name
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    for name in stale:
        print(f"{name} differs from notebooks/build.py; run: python notebooks/build.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
