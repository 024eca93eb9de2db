"""Monitoring figures over the question log, computed in SQL (the same queries on SQLite and PostgreSQL):
questions, abstentions and fallbacks per day, latency percentiles per day, ratings per day, most asked
tables, the questions that abstained most often; the last 24 hours for ``/metrics``; retention.

Days are calendar days in a given UTC offset (the admin's browser sends its own). Percentiles are
nearest-rank (the smallest latency with at least p% of the day's answers at or below it), found with
window functions, which both databases have.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, distinct, func, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from hirachat.config import Config
from hirachat.web.models import QuestionLog as QL
from hirachat.web.models import QuestionLogTable as QLT
from hirachat.web.models import Rating

PERCENTILES = (50, 95, 99)


def tables_used(result: dict[str, Any]) -> list[str]:
    """The tables an answer's sources came from (first seen first); for an answer without sources (an
    abstention on a chosen table), the table the planner chose: it is still what the user asked about."""
    seen = dict.fromkeys(str(s["table"]) for s in result.get("sources") or () if s.get("table"))
    if not seen and result.get("table"):
        seen[str(result["table"])] = None
    return [t[:200] for t in seen]


def purge_question_log(db: Session, days: int, now: datetime | None = None) -> int:
    """Delete question-log rows older than ``days`` days (0: none); the number deleted."""
    if days <= 0:
        return 0
    cutoff = (now or datetime.now(UTC)) - timedelta(days=days)
    old = select(QL.id).where(QL.created_at < cutoff)
    db.execute(delete(QLT).where(QLT.log_id.in_(old)))  # not relying on the database's cascade
    n = int(getattr(db.execute(delete(QL).where(QL.created_at < cutoff)), "rowcount", 0) or 0)
    db.commit()
    return n


def purge_configured(cfg: Config) -> int:
    """The retention purge of a config's web database (``serve.log_retention_days``), as the CLI runs it."""
    from hirachat.web.db import default_url, make_engine, migrate, sessions

    engine = make_engine(cfg.serve.database_url or default_url(cfg.paths.workspace))
    try:
        migrate(engine)
        with sessions(engine)() as db:
            return purge_question_log(db, cfg.serve.log_retention_days)
    finally:
        engine.dispose()


def local_offset_minutes() -> int:
    """The server's own UTC offset (the default day boundary)."""
    off = datetime.now().astimezone().utcoffset()
    return int(off.total_seconds() // 60) if off else 0


def _day(db: Session, col: InstrumentedAttribute[datetime], offset: int) -> ColumnElement[Any]:
    """The calendar day of a UTC timestamp at ``offset`` minutes from UTC. The offset is rendered as a
    literal (an int), not a parameter: PostgreSQL needs the GROUP BY expression to equal the selected one."""
    m = int(offset)
    if db.get_bind().dialect.name == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), col)
        return func.to_char(utc + literal_column(f"interval '{m} minutes'"), literal_column("'YYYY-MM-DD'"))
    return func.date(col, literal_column(f"'{m:+d} minutes'"))


def window(days: int, offset: int, now: datetime | None = None) -> tuple[datetime, list[str]]:
    """The UTC start of the last ``days`` local calendar days (today included) and those days."""
    local = (now or datetime.now(UTC)) + timedelta(minutes=offset)
    first: date = local.date() - timedelta(days=days - 1)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC) - timedelta(minutes=offset)
    return start, [(first + timedelta(days=i)).isoformat() for i in range(days)]


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _figures(
    db: Session, since: datetime, group: ColumnElement[Any] | None, latency: bool = True
) -> dict[Any, dict[str, Any]]:
    """Questions, abstentions, fallbacks (and latency percentiles) since ``since``, per ``group`` value (or
    one total under the key None), in one pass over the figures index."""
    part = [group] if group is not None else None
    inner = [QL.latency_ms.label("ms"), QL.abstained.label("a"), QL.fallback.label("f")]
    if latency:
        inner += [
            func.row_number().over(partition_by=part, order_by=QL.latency_ms).label("rn"),
            func.count().over(partition_by=part).label("n"),
        ]
    keyed = [group.label("g")] if group is not None else []
    rows = select(*keyed, *inner).where(QL.created_at >= since).subquery()
    cols = [
        func.count().label("questions"),
        func.sum(case((rows.c.a.is_(True), 1), else_=0)).label("abstained"),
        func.sum(case((rows.c.f.is_(True), 1), else_=0)).label("fallbacks"),
    ]
    if latency:  # nearest rank: the smallest latency whose rank is at least p% of the group's answers
        cols += [
            func.min(case((rows.c.rn * 100 >= p * rows.c.n, rows.c.ms))).label(f"p{p}") for p in PERCENTILES
        ]
    q = select(*([rows.c.g] if group is not None else []), *cols)
    if group is not None:
        q = q.group_by(rows.c.g)
    out: dict[Any, dict[str, Any]] = {}
    for r in db.execute(q).mappings():
        n, a, f = int(r["questions"]), int(r["abstained"] or 0), int(r["fallbacks"] or 0)
        if not n:
            continue  # (an aggregate without GROUP BY gives one row even over no rows)
        fig: dict[str, Any] = {
            "questions": n,
            "abstained": a,
            "abstention_rate": _rate(a, n),
            "fallbacks": f,
            "fallback_rate": _rate(f, n),
        }
        if latency:
            fig |= {
                f"p{p}_ms": None if r[f"p{p}"] is None else round(float(r[f"p{p}"]), 1) for p in PERCENTILES
            }
        out[str(r["g"]) if group is not None else None] = fig
    return out


def _ratings(db: Session, since: datetime, day: ColumnElement[Any]) -> dict[str, dict[str, Any]]:
    q = (
        select(day.label("g"), func.count().label("n"), func.avg(Rating.score).label("mean"))
        .where(Rating.created_at >= since)
        .group_by(day)
    )
    return {str(r.g): {"ratings": int(r.n), "mean_score": round(float(r.mean), 2)} for r in db.execute(q)}


def _rated(db: Session, since: datetime) -> dict[str, Any]:
    """Logged chat answers that were rated later (joined by message), and their mean score."""
    q = (
        select(func.count(distinct(QL.id)), func.count(Rating.id), func.avg(Rating.score))
        .select_from(QL)
        .join(Rating, Rating.message_id == QL.message_id)
        .where(QL.created_at >= since)
    )
    answers, ratings, mean = db.execute(q).one()
    return {
        "rated_answers": int(answers),
        "ratings": int(ratings),
        "mean_score": None if mean is None else round(float(mean), 2),
    }


def top_tables(db: Session, since: datetime, limit: int = 10) -> list[dict[str, Any]]:
    n = func.count().label("n")
    abst = func.sum(case((QL.abstained.is_(True), 1), else_=0)).label("abstained")
    q = (
        select(QLT.table_id, n, abst)
        .join(QL, QL.id == QLT.log_id)
        .where(QL.created_at >= since)
        .group_by(QLT.table_id)
        .order_by(n.desc(), QLT.table_id)
        .limit(limit)
    )
    return [
        {"table": r.table_id, "questions": int(r.n), "abstained": int(r.abstained or 0)}
        for r in db.execute(q)
    ]


def top_abstained(db: Session, since: datetime, limit: int = 20) -> list[dict[str, Any]]:
    """What users asked that the data lacks: abstained questions grouped by their normalised text (or, for
    rows logged without text, their interpretation) and reason, most frequent first."""
    key = func.coalesce(QL.question_key, QL.interpretation, literal_column("''"))
    n = func.count().label("n")
    q = (
        select(
            n,
            QL.reason,
            func.max(QL.created_at).label("last"),
            func.max(QL.question).label("question"),
            func.max(QL.interpretation).label("interpretation"),
        )
        .where(QL.created_at >= since, QL.abstained.is_(True))
        .group_by(key, QL.reason)
        .order_by(n.desc(), func.max(QL.created_at).desc())
        .limit(limit)
    )
    return [
        {
            "question": r.question,
            "interpretation": r.interpretation,
            "reason": r.reason,
            "count": int(r.n),
            "last": _iso(r.last),
        }
        for r in db.execute(q)
    ]


def recent(db: Session, limit: int = 50) -> list[dict[str, Any]]:
    """The latest log rows with the ratings their chat answers got since."""
    rated = (
        select(Rating.message_id, func.count().label("n"), func.avg(Rating.score).label("mean"))
        .where(Rating.message_id.is_not(None))
        .group_by(Rating.message_id)
        .subquery()
    )
    q = select(QL, rated.c.n, rated.c.mean).outerjoin(rated, rated.c.message_id == QL.message_id)
    rows = db.execute(q.order_by(QL.created_at.desc(), QL.id.desc()).limit(limit)).all()
    tables: dict[int, list[str]] = {}
    for log_id, table_id in db.execute(
        select(QLT.log_id, QLT.table_id).where(QLT.log_id.in_([r[0].id for r in rows]))
    ):
        tables.setdefault(log_id, []).append(table_id)
    return [
        {
            "id": e.id,
            "time": _iso(e.created_at),
            "surface": e.surface,
            "engine": e.engine,
            "model": e.model,
            "question": e.question,
            "interpretation": e.interpretation,
            "tables": sorted(tables.get(e.id, [])),
            "data_version": e.data_version,
            "latency_ms": e.latency_ms,
            "abstained": e.abstained,
            "reason": e.reason,
            "fallback": e.fallback,
            "fallback_reason": e.fallback_reason,
            "generated_tokens": e.generated_tokens,
            "message_id": e.message_id,
            "ratings": int(n or 0),
            "mean_score": None if mean is None else round(float(mean), 2),
        }
        for e, n, mean in rows
    ]


def overview(db: Session, days: int = 30, offset: int = 0, now: datetime | None = None) -> dict[str, Any]:
    """Everything the admin dashboard shows for the last ``days`` days (local days at ``offset``)."""
    since, day_list = window(days, offset, now)
    d = _day(db, QL.created_at, offset)
    daily = _figures(db, since, d)
    rd = _ratings(db, since, _day(db, Rating.created_at, offset))
    empty = {"questions": 0, "abstained": 0, "abstention_rate": None, "fallbacks": 0, "fallback_rate": None}
    no_lat = {f"p{p}_ms": None for p in PERCENTILES}
    total = _figures(db, since, None).get(None, empty | no_lat)
    surfaces = select(QL.surface, QL.engine, func.count().label("n")).where(QL.created_at >= since)
    reasons = (
        select(QL.reason, func.count().label("n"))
        .where(QL.created_at >= since, QL.abstained.is_(True))
        .group_by(QL.reason)
    )
    return {
        "days": days,
        "since": since.isoformat(),
        "utc_offset_minutes": offset,
        "totals": total | {"rated": _rated(db, since)},
        "daily": [{"day": k} | daily.get(k, empty | no_lat) for k in day_list],
        "ratings": [{"day": k} | rd.get(k, {"ratings": 0, "mean_score": None}) for k in day_list],
        "by_surface": [
            {"surface": r.surface, "engine": r.engine, "questions": int(r.n)}
            for r in db.execute(
                surfaces.group_by(QL.surface, QL.engine).order_by(func.count().desc(), QL.surface, QL.engine)
            )
        ],
        "reasons": [
            {"reason": r.reason, "count": int(r.n)}
            for r in db.execute(reasons.order_by(func.count().desc(), QL.reason))
        ],
        "tables": top_tables(db, since),
        "abstained_questions": top_abstained(db, since),
        "recent": recent(db),
    }


def last_24h(db: Session, now: datetime | None = None) -> dict[str, Any]:
    """The figures ``/metrics`` reads at each scrape, from the database (so every worker agrees):
    questions by surface, abstention and fallback rates and mean rating over the last 24 hours, and
    every stored rating by score."""
    since = (now or datetime.now(UTC)) - timedelta(hours=24)
    by_surface = _figures(db, since, QL.surface.expression, latency=False)
    total = _figures(db, since, None, latency=False).get(None)
    mean = db.scalar(select(func.avg(Rating.score)).where(Rating.created_at >= since))
    scores = db.execute(select(Rating.score, func.count()).group_by(Rating.score)).all()
    return {
        "questions": {k: v["questions"] for k, v in by_surface.items()},
        "abstention_rate": total["abstention_rate"] if total else None,
        "fallback_rate": total["fallback_rate"] if total else None,
        "rating_mean": None if mean is None else float(mean),
        "ratings_by_score": {int(s): int(n) for s, n in scores},
    }


def _iso(v: datetime | None) -> str | None:
    if v is None:
        return None
    return (v.astimezone(UTC) if v.tzinfo else v.replace(tzinfo=UTC)).isoformat()
