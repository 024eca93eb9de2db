"""``hira-chat doctor``: is this machine ready to run hira-chat, and what to do about each thing that is not.

Each check is a row (name, status, value, fix). ``fail`` marks something a configured job needs (Python
older than 3.11, a package missing, a workspace that cannot be written, a model directory that is
missing when the config uses it, or corrupt); ``warn`` marks what only some jobs need (no GPU on a CPU
machine, no Korean font, no facts store yet). The exit status is 1 when any row fails. The environment
rows (Python, packages, offline variables, workspace, fonts, store) are here; torch, the GPUs and the
model in ``ops/doctor_model.py``.
"""

from __future__ import annotations

import importlib.metadata as md
import os
import platform
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from hirachat.config import Config
from hirachat.errors import HiraChatError
from hirachat.ops.checks import Check, Report, needs_training_stack
from hirachat.paths import Workspace, store_path

OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
FONT = "NanumGothic"
FONT_FILE = r"NanumGothic(Bold|ExtraBold|Light)?"  # not NanumGothicCoding: another family
DIST = "hirachat"
MIN_PYTHON = (3, 11)


def run_doctor(cfg: Config, full: bool = False) -> Report:
    """Every check, in the order the table shows them. ``full`` hashes the model's files."""
    from hirachat.ops.doctor_model import disk_check, gpu_checks, model_checks, torch_checks

    ws = Workspace.of(cfg.paths)
    checks = [check_python(), *package_checks(cfg)]
    parts: list[tuple[str, Callable[[], list[Check]]]] = [
        ("torch", lambda: torch_checks(cfg)),
        ("gpu", lambda: gpu_checks(cfg)),
        ("offline variables", lambda: [check_offline()]),
        ("model", lambda: model_checks(cfg, ws, full)),
        ("disk", lambda: [disk_check(cfg, ws)]),
        ("workspace", lambda: [check_workspace(ws)]),
        ("fonts", lambda: [check_fonts()]),
        ("store", lambda: [check_store(ws)]),
    ]
    for name, part in parts:
        try:
            checks += part()
        except Exception as exc:  # a check that crashes is a finding: report it, go on with the others
            checks.append(Check(name, "fail", f"the check itself failed: {exc!r}", "report this as a bug"))
    return Report(checks)


# ---- Python and packages -----------------------------------------------------------------------------
def check_python() -> Check:
    impl, version = platform.python_implementation(), platform.python_version()
    where = f"{impl} {version} on {platform.system()} {platform.machine()} ({sys.executable})"
    if sys.version_info[:2] < MIN_PYTHON:
        return Check("python", "fail", where, "use CPython 3.11 (python3.11 -m venv .venv; make setup)")
    if (impl, platform.system(), platform.machine()) != ("CPython", "Linux", "x86_64"):
        return Check(
            "python",
            "warn",
            where,
            "the locks in requirements/ target Linux x86_64 CPython 3.11; here install from the index",
        )
    return Check("python", "ok", where)


def requirement_problems(extra: str | None) -> tuple[int, list[str]]:
    """(requirements checked, what is missing or too old) for the base install or one extra."""
    from packaging.requirements import Requirement

    problems, checked = [], 0
    for line in md.requires(DIST) or []:
        req = Requirement(line)
        if req.name == DIST:  # hirachat[notebook] inside dev: its own extra, checked on its own
            continue
        in_extra = req.marker is not None and "extra" in str(req.marker)
        if in_extra != (extra is not None):
            continue
        if req.marker is not None and not req.marker.evaluate({"extra": extra or ""}):
            continue  # another extra, or not for this platform or Python
        checked += 1
        try:
            have = md.version(req.name)
        except md.PackageNotFoundError:
            problems.append(f"{req.name} missing")
            continue
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            problems.append(f"{req.name} {have} (needs {req.specifier})")
    return checked, problems


def package_checks(cfg: Config) -> list[Check]:
    try:
        version = md.version(DIST)
    except md.PackageNotFoundError:
        fix = "install the project: make setup (or make setup-offline from a wheelhouse)"
        return [Check("hirachat", "fail", "not installed (running from a source folder?)", fix)]
    rows = [Check("hirachat", "ok", f"{version} ({Path(__file__).resolve().parents[1]})")]
    for extra, label, needed in (
        (None, "packages", True),
        ("train", "packages [train]", needs_training_stack(cfg)),
    ):
        checked, problems = requirement_problems(extra)
        if not problems:
            rows.append(Check(label, "ok", f"{checked} requirements met"))
            continue
        target = "." if extra is None else f"'.[{extra}]'"
        fix = f"pip install -e {target} (online), or make setup-offline from a wheelhouse (docs/install.md)"
        if needed:
            rows.append(Check(label, "fail", "; ".join(problems), fix))
        else:
            rows.append(
                Check(label, "warn", "; ".join(problems) + " (only for training, the local engine)", fix)
            )
    return rows


# ---- environment -------------------------------------------------------------------------------------
def check_offline() -> Check:
    values = {v: os.environ.get(v) for v in OFFLINE_VARS}
    shown = " ".join(f"{k}={v if v is not None else 'unset'}" for k, v in values.items())
    if all(v == "1" for v in values.values()):
        return Check("offline variables", "ok", shown)
    return Check(
        "offline variables",
        "warn",
        shown,
        "export " + " ".join(f"{v}=1" for v in OFFLINE_VARS) + " (hira-chat sets them itself when it loads "
        "a model; exported, they also stop notebooks and other tools from reaching for a model hub)",
    )


def check_workspace(ws: Workspace) -> Check:
    root = ws.root.resolve()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root, prefix=".doctor-", delete=True) as fh:
            fh.write(b"ok")
            fh.flush()
    except OSError as exc:
        return Check(
            "workspace",
            "fail",
            f"{root}: not writable ({exc.strerror or exc})",
            f"give this user write access to {root}, or set paths.workspace to a writable folder",
        )
    return Check("workspace", "ok", f"{root}: writable")


def check_fonts() -> Check:
    import matplotlib
    from matplotlib import font_manager

    found = sorted({f.fname for f in font_manager.fontManager.ttflist if f.name == FONT})
    if found:
        return Check(
            "fonts", "ok", f"{FONT}: {found[0]}" + (f" (+{len(found) - 1})" if len(found) > 1 else "")
        )
    # installed after matplotlib built its font list: the list is cached and never refreshed by itself
    on_disk = sorted(p for p in font_manager.findSystemFonts() if re.fullmatch(FONT_FILE, Path(p).stem))
    if on_disk:
        return Check(
            "fonts",
            "warn",
            f"{FONT} is installed ({on_disk[0]}) but matplotlib's font list predates it (plots in English)",
            f"rm -rf {matplotlib.get_cachedir()} (matplotlib rebuilds its font list on the next run)",
        )
    return Check(
        "fonts",
        "warn",
        f"{FONT} not installed (plots fall back to English labels)",
        "apt-get install fonts-nanum",
    )


def check_store(ws: Workspace) -> Check:
    from hirachat.data.store import FactStore

    store = ws.store_dir.absolute()
    if not store_path(store).exists():
        return Check(
            "store",
            "warn",
            f"{store}: no facts store yet",
            "hira-chat quickstart (samples) or hira-chat data ingest FILE... (your HIRA downloads)",
        )
    try:
        with FactStore.open(store, read_only=True) as fs:
            tables, masters = len(fs.tables()), len(fs.masters())
    except (HiraChatError, OSError) as exc:
        fix = "stop other writers (data ingest, data update) and retry; if it stays broken, ingest again"
        return Check("store", "fail", f"{store}: does not open ({exc})", fix)
    return Check(
        "store", "ok", f"{store}: version {store_version(store)}; {tables} tables, {masters} code masters"
    )


def store_version(store: Path) -> str:
    """The store's current data version (``data update`` makes versions); a store from ``data ingest``
    before its first update has none."""
    from hirachat.data.versions import current

    return current(store) or "none (single store, before its first data update)"
