"""The triggers that keep the running counts (tallies.py), for PostgreSQL and SQLite.

They only append: a delta row per change for REPORTS and ALERTS (the old key's -1 and the
new key's +1), and for POSTS a dirty mark naming the post (a snapshot) or the report (a
log), which the fold and the reads resolve. No trigger updates a shared row or takes a
lock, so writers never wait on each other here, and the marks cost a writer one insert.

Watched: reconciliation_logs (inserted with each report; status, level and discrepancy
changed by attempts, re-runs, quarantine), snapshots, alerts, and (migration 0018, HOURS)
attempts. Posts and reports are never
changed in place (an updated claim is a new report), so nothing watches them; a repair that
does change them ends with `reconcile tallies rebuild` (docs/operations.md).
"""

from __future__ import annotations

from reconcile.persistence.tallies import (
    ALERTS,
    HOURS,
    REPORTS,
    alert_key_sql,
    bin_sql,
    columns,
    hour_rows_sql,
    report_key_sql,
)

_LOG_CHANGED = ("OLD.status IS DISTINCT FROM NEW.status "
                "OR OLD.discrepancy_level IS DISTINCT FROM NEW.discrepancy_level "
                "OR OLD.max_discrepancy_pct IS DISTINCT FROM NEW.max_discrepancy_pct")
_LOG_COLUMNS = "status, discrepancy_level, max_discrepancy_pct"
_ALERT_CHANGED = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in
                             ("status", "severity", "type", "affiliate_id", "report_id"))
_ALERT_COLUMNS = "status, severity, type, affiliate_id, report_id"


def _report_delta(row: str, n: int) -> str:
    return (f"INSERT INTO {REPORTS.deltas} ({columns(REPORTS)}) "
            f"SELECT {report_key_sql(row)}, {n} FROM reports r JOIN posts p ON p.id = r.post_id "
            f"WHERE r.id = {row}.report_id;")


def _report_change() -> str:
    """A log's old key's -1 and new key's +1 in one statement (one look-up of its report)."""
    both = " UNION ALL ".join(
        f"SELECT {row}.status AS status, COALESCE({row}.discrepancy_level, '') AS level, "
        f"{bin_sql(f'{row}.max_discrepancy_pct')} AS bin, {n} AS n"
        for row, n in (("OLD", -1), ("NEW", 1)))
    return (f"INSERT INTO {REPORTS.deltas} ({columns(REPORTS)}) "
            "SELECT p.campaign_id, p.platform, r.affiliate_id, v.status, v.level, v.bin, v.n "
            f"FROM reports r JOIN posts p ON p.id = r.post_id, ({both}) AS v "
            "WHERE r.id = NEW.report_id;")


def _alert_delta(row: str, n: int) -> str:
    return (f"INSERT INTO {ALERTS.deltas} ({columns(ALERTS)}) "
            f"SELECT {alert_key_sql(row)}, {n} FROM (SELECT 1) AS one "
            f"LEFT JOIN reports r ON r.id = {row}.report_id "
            "LEFT JOIN posts p ON p.id = r.post_id;")


_MARK_LOG = "INSERT INTO post_tally_dirty (report_id) VALUES (NEW.report_id);"
_MARK_SNAPSHOT = "INSERT INTO post_tally_dirty (post_id) VALUES (NEW.post_id);"


def _postgresql() -> list[str]:
    return [
        "CREATE FUNCTION tally_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {_report_delta('NEW', 1)} {_MARK_LOG} RETURN NULL; END IF; "
        f"{_report_change()} "
        f"IF OLD.status IS DISTINCT FROM NEW.status THEN {_MARK_LOG} END IF; "
        "RETURN NULL; END $$",
        # A batch inserts its snapshots in one statement: marked in one statement too.
        "CREATE FUNCTION tally_snapshots() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "INSERT INTO post_tally_dirty (post_id) SELECT DISTINCT post_id FROM changed; "
        "RETURN NULL; END $$",
        "CREATE FUNCTION tally_alert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'UPDATE' THEN {_alert_delta('OLD', -1)} END IF; "
        f"{_alert_delta('NEW', 1)} RETURN NULL; END $$",
        "CREATE TRIGGER tally_log_insert AFTER INSERT ON reconciliation_logs "
        "FOR EACH ROW EXECUTE FUNCTION tally_log()",
        f"CREATE TRIGGER tally_log_update AFTER UPDATE OF {_LOG_COLUMNS} "
        f"ON reconciliation_logs FOR EACH ROW WHEN ({_LOG_CHANGED}) "
        "EXECUTE FUNCTION tally_log()",
        "CREATE TRIGGER tally_snapshot_insert AFTER INSERT ON snapshots "
        "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tally_snapshots()",
        # Snapshots are written once; an update (a data repair, a test) is counted all the same.
        "CREATE TRIGGER tally_snapshot_update AFTER UPDATE ON snapshots "
        "REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tally_snapshots()",
        "CREATE TRIGGER tally_alert_insert AFTER INSERT ON alerts "
        "FOR EACH ROW EXECUTE FUNCTION tally_alert()",
        f"CREATE TRIGGER tally_alert_update AFTER UPDATE OF {_ALERT_COLUMNS} ON alerts "
        f"FOR EACH ROW WHEN ({_ALERT_CHANGED}) EXECUTE FUNCTION tally_alert()",
    ]


def _sqlite() -> list[str]:
    changed = _LOG_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    alert_changed = _ALERT_CHANGED.replace("IS DISTINCT FROM", "IS NOT")
    return [
        "CREATE TRIGGER tally_log_insert AFTER INSERT ON reconciliation_logs "
        f"BEGIN {_report_delta('NEW', 1)} {_MARK_LOG} END",
        f"CREATE TRIGGER tally_log_update AFTER UPDATE OF {_LOG_COLUMNS} "
        f"ON reconciliation_logs WHEN {changed} BEGIN {_report_change()} END",
        "CREATE TRIGGER tally_log_status AFTER UPDATE OF status ON reconciliation_logs "
        f"WHEN OLD.status IS NOT NEW.status BEGIN {_MARK_LOG} END",
        *[f"CREATE TRIGGER tally_snapshot_{event.lower()} AFTER {event} ON snapshots "
          f"BEGIN {_MARK_SNAPSHOT} END" for event in ("INSERT", "UPDATE")],
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
FUNCTIONS = ("tally_log()", "tally_snapshots()", "tally_alert()")


def drop(dialect: str) -> list[str]:
    """The statements dropping what `create` made."""
    pg = dialect == "postgresql"
    triggers = [f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if pg else "")
                for table, names in TRIGGERS.items() for name in names]
    return triggers + ([f"DROP FUNCTION IF EXISTS {f}" for f in FUNCTIONS] if pg else [])


# -- HOURS (migration 0018): attempts by hour and status -----------------------------------

def _hour_delta(dialect: str, attempts: str, sign: int) -> str:
    rows = hour_rows_sql(dialect, attempts, sign)
    return f"INSERT INTO {HOURS.deltas} ({columns(HOURS)}) {rows};"


def create_hours(dialect: str) -> list[str]:
    """The statements creating HOURS' triggers (and PostgreSQL's functions). Attempts are
    only ever inserted (a batch inserts its attempts in one statement); an update or a
    delete (a repair, a restore) is counted all the same."""
    if dialect != "postgresql":
        row = ("(SELECT {r}.report_id AS report_id, {r}.finished_at AS finished_at, "
               "{r}.status AS status) AS a")
        new, old = row.format(r="NEW"), row.format(r="OLD")
        return [
            "CREATE TRIGGER tally_attempt_insert AFTER INSERT ON attempts "
            f"BEGIN {_hour_delta(dialect, new, 1)} END",
            "CREATE TRIGGER tally_attempt_update AFTER UPDATE OF report_id, finished_at, "
            "status ON attempts BEGIN "
            f"{_hour_delta(dialect, old, -1)} {_hour_delta(dialect, new, 1)} END",
            "CREATE TRIGGER tally_attempt_delete AFTER DELETE ON attempts "
            f"BEGIN {_hour_delta(dialect, old, -1)} END",
        ]
    # Statement-level, over the transition tables: one insert per batch, not per attempt.
    return [
        "CREATE FUNCTION tally_attempts() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP <> 'INSERT' THEN {_hour_delta(dialect, 'gone a', -1)} END IF; "
        f"IF TG_OP <> 'DELETE' THEN {_hour_delta(dialect, 'changed a', 1)} END IF; "
        "RETURN NULL; END $$",
        "CREATE TRIGGER tally_attempt_insert AFTER INSERT ON attempts REFERENCING NEW TABLE "
        "AS changed FOR EACH STATEMENT EXECUTE FUNCTION tally_attempts()",
        "CREATE TRIGGER tally_attempt_update AFTER UPDATE ON attempts REFERENCING OLD TABLE "
        "AS gone NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION tally_attempts()",
        "CREATE TRIGGER tally_attempt_delete AFTER DELETE ON attempts REFERENCING OLD TABLE "
        "AS gone FOR EACH STATEMENT EXECUTE FUNCTION tally_attempts()",
    ]


HOUR_TRIGGERS = {"attempts": ("tally_attempt_insert", "tally_attempt_update",
                              "tally_attempt_delete")}
# Every table a tally's trigger watches (the scale bench's seed loads them with triggers off).
TRIGGERED = (*TRIGGERS, *HOUR_TRIGGERS)


def drop_hours(dialect: str) -> list[str]:
    """The statements dropping what `create_hours` made."""
    pg = dialect == "postgresql"
    return ([f"DROP TRIGGER IF EXISTS {name}" + (" ON attempts" if pg else "")
             for name in HOUR_TRIGGERS["attempts"]]
            + (["DROP FUNCTION IF EXISTS tally_attempts()"] if pg else []))
