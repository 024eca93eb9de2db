"""Model manifests: what is recorded, what a check catches (missing, truncated, corrupt), when loads hash."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest

from hirachat.model.manifest import (
    MANIFEST,
    STAMP,
    ManifestError,
    check_before_load,
    read_manifest,
    verify,
    write_manifest,
)

SHARDS = ("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors")


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A folder shaped like a sharded SOLAR download (contents are stand-ins: only files matter here)."""
    d = tmp_path / "solar"
    d.mkdir()
    (d / "config.json").write_text(json.dumps({"architectures": ["LlamaForCausalLM"]}), encoding="utf-8")
    (d / "tokenizer.json").write_text("{}", encoding="utf-8")
    (d / "tokenizer_config.json").write_text("{}", encoding="utf-8")
    for i, name in enumerate(SHARDS):
        (d / name).write_bytes(bytes([i]) * 100_000 + os.urandom(1000))
    index = {"weight_map": {"a": SHARDS[0], "b": SHARDS[1]}}
    (d / "model.safetensors.index.json").write_text(json.dumps(index), encoding="utf-8")
    (d / ".cache").mkdir()
    (d / ".cache" / "download.lock").write_text("x", encoding="utf-8")  # a hub client's leftovers
    return d


def flip_byte(path: Path, offset: int = 5000) -> None:
    """Corrupt one byte in place: same size, same inode (what a bad disk or copy does)."""
    with path.open("r+b") as fh:
        fh.seek(offset)
        b = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([b[0] ^ 0xFF]))


def test_manifest_records_every_model_file_with_size_and_sha256(model_dir: Path) -> None:
    m = write_manifest(model_dir)
    on_disk = json.loads((model_dir / MANIFEST).read_text(encoding="utf-8"))
    assert [f["path"] for f in on_disk["files"]] == sorted(
        ["config.json", "tokenizer.json", "tokenizer_config.json", "model.safetensors.index.json", *SHARDS]
    )
    for f in on_disk["files"]:
        data = (model_dir / f["path"]).read_bytes()
        assert f["size"] == len(data) and f["sha256"] == hashlib.sha256(data).hexdigest()
    assert m.total_bytes == sum(f["size"] for f in on_disk["files"])
    assert read_manifest(model_dir) == m
    assert (model_dir / MANIFEST).stat().st_mode & 0o777 == 0o644  # readable by whoever loads the model
    assert not [p for p in model_dir.iterdir() if p.name.endswith(".tmp")]  # atomic: no temporary left
    assert verify(model_dir, full=True).ok


def test_missing_and_truncated_shards_are_named(model_dir: Path) -> None:
    write_manifest(model_dir)
    (model_dir / SHARDS[1]).unlink()
    with (model_dir / SHARDS[0]).open("r+b") as fh:
        fh.truncate(50_000)
    v = verify(model_dir)
    assert [(p.path, p.kind) for p in v.problems] == [(SHARDS[0], "size"), (SHARDS[1], "missing")]
    assert "truncated copy" in v.summary() and "50,000 bytes" in v.summary()
    with pytest.raises(ManifestError) as err:
        check_before_load(model_dir)
    msg = str(err.value)
    assert SHARDS[0] in msg and f"{SHARDS[1]}: missing" in msg
    assert f"hira-chat model manifest {model_dir} --verify" in msg  # the fix


def test_a_corrupt_shard_of_the_right_size_needs_the_hash(model_dir: Path) -> None:
    write_manifest(model_dir)
    flip_byte(model_dir / SHARDS[1])
    assert verify(model_dir, full=False).ok  # sizes cannot see it
    v = verify(model_dir, full=True)
    assert [(p.path, p.kind) for p in v.problems] == [(SHARDS[1], "sha256")]
    with pytest.raises(ManifestError, match=SHARDS[1]):
        check_before_load(model_dir)  # the file changed since the stamp: loading hashes it


def test_loads_hash_once_then_only_after_a_change(model_dir: Path) -> None:
    write_manifest(model_dir)
    (model_dir / STAMP).unlink()
    assert check_before_load(model_dir).hashed  # first load: full check, then a stamp
    assert (model_dir / STAMP).is_file()
    assert not check_before_load(model_dir).hashed  # unchanged: sizes only
    os.utime(model_dir / "config.json")  # touched: hashed again
    assert check_before_load(model_dir).hashed
    assert not check_before_load(model_dir).hashed


def test_a_copied_folder_is_hashed_even_with_the_stamp_and_mtimes_carried(
    model_dir: Path, tmp_path: Path
) -> None:
    write_manifest(model_dir)
    copy = tmp_path / "copy"
    shutil.copytree(model_dir, copy)  # copy2: mtimes kept, the stamp comes along
    shard = copy / SHARDS[0]
    st = shard.stat()
    flip_byte(shard)
    os.utime(shard, ns=(st.st_atime_ns, st.st_mtime_ns))  # the copy looks untouched
    assert not check_before_load(model_dir).hashed  # the original: stamp valid
    with pytest.raises(ManifestError, match=SHARDS[0]):
        check_before_load(copy)


def test_no_manifest_loads_unchecked_and_a_broken_manifest_is_an_error(model_dir: Path) -> None:
    v = check_before_load(model_dir)
    assert v.manifest is None and not v.ok and f"hira-chat model manifest {model_dir}" in v.fix()
    (model_dir / MANIFEST).write_text('{"files": [{"path": "x"}]}', encoding="utf-8")
    with pytest.raises(ManifestError, match="unreadable manifest"):
        check_before_load(model_dir)
    escape = {"files": [{"path": "../../etc/passwd", "size": 1, "sha256": "0" * 64}]}
    (model_dir / MANIFEST).write_text(json.dumps(escape), encoding="utf-8")
    with pytest.raises(ManifestError, match="outside the model folder"):
        verify(model_dir, full=True)


def test_files_added_after_the_manifest_are_listed_not_failed(model_dir: Path) -> None:
    write_manifest(model_dir)
    (model_dir / "generation_config.json").write_text("{}", encoding="utf-8")
    v = verify(model_dir, full=True)
    assert v.ok and v.extra == ["generation_config.json"]


def test_the_manifest_command_writes_then_verifies(
    model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from hirachat.cli import app

    monkeypatch.chdir(tmp_path)
    cli = CliRunner()
    wrote = cli.invoke(app, ["model", "manifest", str(model_dir), "-c", os.devnull])
    assert wrote.exit_code == 0 and f"wrote {model_dir / MANIFEST}: 6 files" in wrote.output
    good = cli.invoke(app, ["model", "manifest", str(model_dir), "--verify", "-c", os.devnull])
    assert good.exit_code == 0 and "6 files match" in good.output and "sha256" in good.output
    flip_byte(model_dir / SHARDS[0])
    bad = cli.invoke(app, ["model", "manifest", str(model_dir), "--verify", "-c", os.devnull])
    assert bad.exit_code == 1 and f"{SHARDS[0]}: sha256 differs" in bad.output and "Fix:" in bad.output
