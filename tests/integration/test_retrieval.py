"""The BM25 card index over the real store: search, table filter, persistence keyed to the store state."""

from __future__ import annotations

from pathlib import Path

from hirachat.answer.retrieve import CardIndex
from hirachat.config import DataConfig
from hirachat.data.ingest import ingest
from hirachat.data.store import FactStore


def test_search_filter_render_and_rebuild_on_new_data(real_dir: Path, tmp_path: Path) -> None:
    files = [
        real_dir / "hira_kcd3_by_sex_inout_2023.csv",
        real_dir / "hira_dept_by_sido_cost_hospital_level_2019.csv",
    ]
    ingest(files[:1], tmp_path / "store", DataConfig(), tmp_path / "raw")
    with FactStore.open(tmp_path / "store", read_only=True) as s:
        idx = CardIndex.load_or_build(s, tmp_path / "index")
        assert len(idx.rowids) == 6227 and (tmp_path / "index" / "manifest.json").exists()
        hits = idx.search("J45 여성 외래", 3)
        top = idx.render(s, hits[0])
        assert top.startswith("2023년 상병코드 J45 여성 외래") and "1,508,264건" in top
        assert CardIndex.load_or_build(s, tmp_path / "index").state == idx.state
    ingest(files[1:], tmp_path / "store", DataConfig(), tmp_path / "raw")
    with FactStore.open(tmp_path / "store", read_only=True) as s:
        rebuilt = CardIndex.load_or_build(s, tmp_path / "index")
        assert rebuilt.state != idx.state and len(rebuilt.rowids) == 6227 + 740
        only = rebuilt.search("서울 내과", 5, table_id="hira_kcd3_by_sex_inout")
        assert all(h.table_id == "hira_kcd3_by_sex_inout" for h in only)
        assert rebuilt.search("서울 내과", 1)[0].table_id == "hira_dept_by_sido_cost_hospital_level"
