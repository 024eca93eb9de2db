"""Model manifests: a model directory's file list with sizes and sha256, checked before the model loads.

A model reaches the closed network as a copied folder (removable disk, file share). A shard that was
not copied, or was cut short, otherwise shows up as an obscure safetensors error deep inside
transformers, or not at all (a flipped byte loads as a wrong weight). ``hira-manifest.json`` records
every file (relative path, size, sha256); it is written atomically and last, after every weight file,
so a folder that has one was written completely.

Checking costs: SOLAR-10.7B is 21 GB, one to two minutes of sha256 on one core, on every load. So:

* every load compares sizes (instant; catches missing and truncated files);
* the first load of a directory hashes every file and records a stamp (``.hira-verified.json``: the
  manifest's hash, each file's size, mtime and inode); later loads hash again only when any of these
  differs (a file replaced or touched, the folder copied elsewhere). Where the model folder is read-only the stamp goes
  to the user's cache folder;
* ``hira-chat doctor --full`` and ``hira-chat model manifest DIR --verify`` always hash.

A directory without a manifest still loads (models copied before manifests existed); doctor warns.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from hirachat.atomic import write_json
from hirachat.errors import HiraChatError

MANIFEST = "hira-manifest.json"
STAMP = ".hira-verified.json"
FORMAT = 1
_CHUNK = 8 << 20


class ModelDirError(HiraChatError):
    """A model directory that cannot be loaded; the message lists what is missing or broken."""


class ManifestError(ModelDirError):
    """A model directory whose files do not match its manifest (or whose manifest is unreadable)."""


@dataclass(frozen=True)
class FileEntry:
    path: str  # relative, with forward slashes
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    files: list[FileEntry]
    created_at: str = ""
    format: int = FORMAT

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created_at": self.created_at,
            "files": [asdict(f) for f in self.files],
        }


@dataclass(frozen=True)
class Problem:
    """One file that does not match: ``kind`` is missing, size or sha256."""

    path: str
    kind: Literal["missing", "size", "sha256"]
    detail: str

    def line(self) -> str:
        return f"{self.path}: {self.detail}"


@dataclass
class Verification:
    """What a check found: the manifest (None: the directory has none) and any problems."""

    root: Path
    manifest: Manifest | None
    hashed: bool = False
    problems: list[Problem] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # files the manifest does not list (not an error)

    @property
    def ok(self) -> bool:
        return self.manifest is not None and not self.problems

    def summary(self) -> str:
        """What was found, one clause per bad file."""
        if self.manifest is None:
            return f"{self.root}: no {MANIFEST}"
        if not self.problems:
            how = "sizes and sha256" if self.hashed else "sizes"
            return f"{self.root}: {len(self.manifest.files)} files match {MANIFEST} ({how})"
        return f"{self.root}: model files do not match {MANIFEST}: " + "; ".join(
            p.line() for p in self.problems
        )

    def fix(self) -> str:
        if self.manifest is None:
            return (
                f"record one where the model is known to be good: hira-chat model manifest {self.root} "
                "(on the source machine, before copying)"
            )
        return (
            "copy the named files again from the original model folder, then check the copy with "
            f"hira-chat model manifest {self.root} --verify (files changed on purpose: record them again "
            f"with hira-chat model manifest {self.root})"
        )

    def message(self) -> str:
        return self.summary() if self.ok else f"{self.summary()}. Fix: {self.fix()}"


def model_files(root: Path) -> list[Path]:
    """Every file under ``root`` that belongs to the model: not the manifest, not hidden files or folders
    (the stamp, temporary files, a hub client's ``.cache/``)."""
    out = []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if p.is_file() and rel.as_posix() != MANIFEST and not any(part.startswith(".") for part in rel.parts):
            out.append(p)
    return out


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def write_manifest(root: Path) -> Manifest:
    """Hash every model file and write ``hira-manifest.json`` (atomically). Call it after the last file."""
    if not root.is_dir():
        raise ModelDirError(f"{root}: model directory not found")
    files = [
        FileEntry(p.relative_to(root).as_posix(), p.stat().st_size, sha256_file(p)) for p in model_files(root)
    ]
    if not files:
        raise ModelDirError(f"{root}: no files to record in a manifest")
    manifest = Manifest(files, datetime.now(UTC).isoformat(timespec="seconds"))
    write_json(root / MANIFEST, manifest.as_dict())
    (root / MANIFEST).chmod(0o644)  # the atomic write leaves 0600; whoever may load the model must read it
    _write_stamp(root, manifest)  # just hashed: the first load need not hash again
    return manifest


def read_manifest(root: Path) -> Manifest | None:
    """The directory's manifest, or None when it has none."""
    path = root / MANIFEST
    if not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        files = [FileEntry(str(f["path"]), int(f["size"]), str(f["sha256"])) for f in raw["files"]]
        outside = [f.path for f in files if Path(f.path).is_absolute() or ".." in Path(f.path).parts]
        if outside:
            raise ValueError(f"paths outside the model folder: {', '.join(outside)}")
        return Manifest(files, str(raw.get("created_at", "")), int(raw.get("format", FORMAT)))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read the manifest ({exc.strerror or exc})") from exc
    except (ValueError, KeyError, TypeError) as exc:
        raise ManifestError(
            f"{path}: unreadable manifest ({exc}); record it again with `hira-chat model manifest {root}` "
            "on the machine that has the good copy"
        ) from exc


def verify(root: Path, full: bool = False) -> Verification:
    """Compare the directory with its manifest: sizes always, sha256 when ``full``. Never raises for a
    mismatch (the result lists it); raises ManifestError for an unreadable manifest."""
    manifest = read_manifest(root)
    result = Verification(root, manifest, hashed=full)
    if manifest is None:
        return result
    listed = {f.path for f in manifest.files}
    result.extra = [p.relative_to(root).as_posix() for p in model_files(root)]
    result.extra = [p for p in result.extra if p not in listed]
    for f in manifest.files:
        p = root / f.path
        if not p.is_file():
            result.problems.append(Problem(f.path, "missing", "missing"))
            continue
        size = p.stat().st_size
        if size != f.size:
            what = "truncated copy" if size < f.size else "not the recorded file"
            result.problems.append(
                Problem(f.path, "size", f"{size:,} bytes, the manifest says {f.size:,} ({what})")
            )
        elif full and sha256_file(p) != f.sha256:
            result.problems.append(Problem(f.path, "sha256", "sha256 differs from the manifest (corrupt)"))
    return result


def check_before_load(root: Path) -> Verification:
    """The check loading runs: sizes every time, sha256 when the stamp says the files changed since the
    last full check (or there was none). Raises ManifestError naming each bad file."""
    quick = verify(root, full=False)
    if quick.manifest is None or quick.problems:
        if quick.problems:
            raise ManifestError(quick.message())
        return quick
    if _stamp_matches(root, quick.manifest):
        return quick
    full = verify(root, full=True)
    if full.problems:
        raise ManifestError(full.message())
    _write_stamp(root, quick.manifest)
    return full


# ---- the stamp: which state of the files was last hashed and found good -----------------------------
def _manifest_digest(root: Path) -> str:
    return sha256_file(root / MANIFEST)


def _file_state(root: Path, manifest: Manifest) -> dict[str, list[int]]:
    """What a later load compares. The inode makes a copied folder (whose stamp came along, mtimes kept
    by ``cp -a``/rsync) hash again: the copy is what needs checking. A renamed folder keeps its inodes."""
    files = {}
    for f in manifest.files:
        st = (root / f.path).stat()
        files[f.path] = [st.st_size, st.st_mtime_ns, st.st_ino]
    return files


def _stamp_places(root: Path) -> list[Path]:
    """Next to the manifest, else in the user's cache (a read-only model folder on a share)."""
    key = hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [root / STAMP, cache / "hirachat" / "verified" / f"{key}.json"]


def _stamp_matches(root: Path, manifest: Manifest) -> bool:
    want = {"manifest_sha256": _manifest_digest(root), "state": _file_state(root, manifest)}
    for place in _stamp_places(root):
        try:
            stamp = json.loads(place.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(stamp, dict) and {k: stamp.get(k) for k in want} == want:
            return True
    return False


def _write_stamp(root: Path, manifest: Manifest) -> None:
    stamp = {
        "manifest_sha256": _manifest_digest(root),
        "state": _file_state(root, manifest),
        "verified_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    for place in _stamp_places(root):
        try:
            write_json(place, stamp)
            return
        except OSError:
            continue  # read-only here: try the next place; with none, the next load hashes again
