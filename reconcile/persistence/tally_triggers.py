"""The triggers that keep the running counts (tallies.py), for PostgreSQL and SQLite.

Each appends deltas and never updates a shared row, except a post's own row in
`post_tally_states`. A post's state is recomputed from the data while that row is locked
and compared with what it last added: two transactions changing one post (an attempt's
snapshot and a new report, say) take turns on it, and the second computes from what the
first committed, so the deltas always sum to the posts' current states.

Watched: reconciliation_logs (inserted with each report; status, level and discrepancy
changed by attempts, re-runs, quarantine), snapshots, alerts. Posts and reports are never
changed in place (an updated claim is a new report), so nothing watches them; a repair that
does change them ends with `reconcile tallies rebuild` (docs/operations.md).
"""

from __future__ import annotations

from reconcile.persistence.tallies import (
    ALERTS,
    POSTS,
    REPORTS,
    STATE_COLUMNS,
    alert_key_sql,
    columns,
    post_delta_sql,
    post_state_sql,
    report_key_sql,
)

_LOG_CHANGED = ("OLD.status IS DISTINCT FROM NEW.status "
                "OR OLD.discrepancy_level IS DISTINCT FROM NEW.discrepancy_level "
                "OR OLD.max_discrepancy_pct IS DISTINCT FROM NEW.max_discrepancy_pct")
_LOG_COLUMNS = "status, discrepancy_level, max_discrepancy_pct"
_ALERT_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in
                             ("status", "severity", "type", "affiliate_id", "report_id"))
_ALERT_COLUMNS = "status, severity, type, affiliate_id, report_id"
_STATUS_CHANGED = "OLD.status IS DISTINCT FROM NEW.status"


def _report_delta(row: str, n: int) -> str:
    return (f"INSERT INTO {REPORTS.deltas} ({columns(REPORTS)}) "
            f"SELECT {report_key_sql(row)}, {n} FROM reports r JOIN posts p ON p.id = r.post_id "
            f"WHERE r.id = {row}.report_id;")


def _alert_delta(row: str, n: int) -> str:
    return (f"INSERT INTO {ALERTS.deltas} ({columns(ALERTS)}) "
            f"SELECT {alert_key_sql(row)}, {n} FROM (SELECT 1) AS one "
            f"LEFT JOIN reports r ON r.id = {row}.report_id "
            "LEFT JOIN posts p ON p.id = r.post_id;")


_POST_OF_LOG = "(SELECT post_id FROM reports WHERE id = NEW.report_id)"
_STATE_SET = ", ".join(STATE_COLUMNS[1:])


def _postgresql() -> list[str]:
    state = ", ".join(f"cur.{c}" for c in STATE_COLUMNS[1:])
    refresh = (
        "CREATE FUNCTION post_tally_refresh(pid bigint) RETURNS void LANGUAGE plpgsql AS $$ "
        "DECLARE was post_tally_states; cur post_tally_states; BEGIN "
        "IF pid IS NULL THEN RETURN; END IF; "
        "INSERT INTO post_tally_states (post_id, n) VALUES (pid, 0) "
        "ON CONFLICT (post_id) DO NOTHING; "
        # The post's lock: whoever changes it next waits here, then reads what we committed.
        "SELECT * INTO was FROM post_tally_states WHERE post_id = pid FOR UPDATE; "
        f"{post_state_sql('postgresql', 'p.id = pid')} INTO cur; "
        "IF cur IS NOT DISTINCT FROM was THEN RETURN; END IF; "
        f"IF was.n = 1 THEN INSERT INTO {POSTS.deltas} ({columns(POSTS)}) "
        f"VALUES ({post_delta_sql('was', -1)}); END IF; "
        f"IF cur.n = 1 THEN INSERT INTO {POSTS.deltas} ({columns(POSTS)}) "
        f"VALUES ({post_delta_sql('cur', 1)}); END IF; "
        f"UPDATE post_tally_states SET ({_STATE_SET}) = ROW({state}) WHERE post_id = pid; "
        "END $$")
    return [
        refresh,
        "CREATE FUNCTION tally_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' THEN {_report_delta('OLD', -1)} END IF; "
        f"{_report_delta('NEW', 1)} "
        f"IF TG_OP = 'INSERT' OR {_STATUS_CHANGED} THEN "
        f"PERFORM post_tally_refresh({_POST_OF_LOG}); END IF; "
        "RETURN NULL; END $$",
        "CREATE FUNCTION tally_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "PERFORM post_tally_refresh(NEW.post_id); RETURN NULL; END $$",
        "CREATE FUNCTION tally_alert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' THEN {_alert_delta('OLD', -1)} END IF; "
        f"{_alert_delta('NEW', 1)} RETURN NULL; END $$",
        "CREATE TRIGGER tally_log_insert AFTER INSERT ON reconciliation_logs "
        "FOR EACH ROW EXECUTE FUNCTION tally_log()",
        f"CREATE TRIGGER tally_log_update AFTER UPDATE OF {_LOG_COLUMNS} "
        f"ON reconciliation_logs FOR EACH ROW WHEN ({_LOG_CHANGED}) "
        "EXECUTE FUNCTION tally_log()",
        # Snapshots are written once; an update (a data repair, a test) is counted all the same.
        "CREATE TRIGGER tally_snapshot_insert AFTER INSERT OR UPDATE ON snapshots "
        "FOR EACH ROW EXECUTE FUNCTION tally_snapshot()",
        "CREATE TRIGGER tally_alert_insert AFTER INSERT ON alerts "
        "FOR EACH ROW EXECUTE FUNCTION tally_alert()",
        f"CREATE TRIGGER tally_alert_update AFTER UPDATE OF {_ALERT_COLUMNS} ON alerts "
        f"FOR EACH ROW WHEN ({_ALERT_CHANGED}) EXECUTE FUNCTION tally_alert()",
    ]


def _sqlite_refresh(post: str) -> str:
    """A post's refresh as plain statements (SQLite has no procedures; it also has one
    writer at a time, so nothing changes the post between them)."""
    return (f"INSERT OR IGNORE INTO post_tally_states (post_id, n) VALUES ({post}, 0); "
            f"INSERT INTO {POSTS.deltas} ({columns(POSTS)}) SELECT {post_delta_sql('st', -1)} "
            f"FROM post_tally_states st WHERE st.post_id = {post} AND st.n = 1; "
            f"UPDATE post_tally_states SET ({_STATE_SET}) = (SELECT {_STATE_SET} FROM "
            f"({post_state_sql('sqlite', f'p.id = {post}')}) AS cur) "
            f"WHERE post_id = {post}; "
            f"INSERT INTO {POSTS.deltas} ({columns(POSTS)}) SELECT {post_delta_sql('st', 1)} "
            f"FROM post_tally_states st WHERE st.post_id = {post} AND st.n = 1;")


def _sqlite() -> list[str]:
    changed = _LOG_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    alert_changed = _ALERT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    return [
        "CREATE TRIGGER tally_log_insert AFTER INSERT ON reconciliation_logs "
        f"BEGIN {_report_delta('NEW', 1)} {_sqlite_refresh(_POST_OF_LOG)} END",
        f"CREATE TRIGGER tally_log_update AFTER UPDATE OF {_LOG_COLUMNS} "
        f"ON reconciliation_logs WHEN {changed} "
        f"BEGIN {_report_delta('OLD', -1)} {_report_delta('NEW', 1)} END",
        "CREATE TRIGGER tally_log_status AFTER UPDATE OF status ON reconciliation_logs "
        "WHEN OLD.status IS NOT NEW.status "
        f"BEGIN {_sqlite_refresh(_POST_OF_LOG)} END",
        "CREATE TRIGGER tally_snapshot_insert AFTER INSERT ON snapshots "
        f"BEGIN {_sqlite_refresh('NEW.post_id')} END",
        "CREATE TRIGGER tally_snapshot_update AFTER UPDATE ON snapshots "
        f"BEGIN {_sqlite_refresh('NEW.post_id')} END",
        "CREATE TRIGGER tally_alert_insert AFTER INSERT ON alerts "
        f"BEGIN {_alert_delta('NEW', 1)} END",
        f"CREATE TRIGGER tally_alert_update AFTER UPDATE OF {_ALERT_COLUMNS} ON alerts "
        f"WHEN {alert_changed} BEGIN {_alert_delta('OLD', -1)} {_alert_delta('NEW', 1)} END",
    ]


def create(dialect: str) -> list[str]:
    """The statements creating the triggers (and PostgreSQL's functions)."""
    return _postgresql() if dialect == "postgresql" else _sqlite()


TRIGGERS = {"reconciliation_logs": ("tally_log_insert", "tally_log_update", "tally_log_status"),
            "snapshots": ("tally_snapshot_insert", "tally_snapshot_update"),
            "alerts": ("tally_alert_insert", "tally_alert_update")}
FUNCTIONS = ("tally_log()", "tally_snapshot()", "tally_alert()", "post_tally_refresh(bigint)")


def drop(dialect: str) -> list[str]:
    """The statements dropping what `create` made."""
    pg = dialect == "postgresql"
    triggers = [f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if pg else "")
                for table, names in TRIGGERS.items() for name in names]
    return triggers + ([f"DROP FUNCTION IF EXISTS {f}" for f in FUNCTIONS] if pg else [])
