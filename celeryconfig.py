"""Celery settings, flat and lowercase; the API's dispatcher and the workers share them."""

from reconcile import config as _config

try:
    _settings = _config.load_settings()
except _config.ConfigError as _exc:  # one line for an operator, not an import traceback
    raise SystemExit(f"reconcile: {_exc}") from None

# kombu's form of REDIS_URL (any accepted form: redis://, rediss://, unix://, redis+socket://).
broker_url = _config.broker_url(_settings.redis_url)
# No result backend: outcomes live in PostgreSQL, and nothing waits on a task's result.
task_ignore_result = True
result_backend = None

task_serializer = "json"
result_serializer = "json"
accept_content = ["json"]
timezone = "UTC"
enable_utc = True

# Ack only after the task ran, and put it back if the worker process dies: attempts are
# idempotent (keyed by report and attempt number), so a second delivery is harmless.
task_acks_late = True
task_reject_on_worker_lost = True
# One job at a time per process, so a high-priority job is never stuck behind prefetched ones.
worker_prefetch_multiplier = 1

task_default_queue = "normal"
task_create_missing_queues = True
broker_transport_options = {
    # Poll the queues in the order the worker lists them (high, normal, low) instead of
    # round-robin, so high jobs overtake a backlog.
    "queue_order_strategy": "priority",
    # Must exceed the longest countdown (the missing-data retry can wait hours): kombu's
    # Redis transport redelivers any unacked message older than this, countdown or not.
    "visibility_timeout": 2 * 24 * 3600,
    # Nothing waits on Redis forever. A hung Redis (SIGSTOP, a dropped network path) accepts
    # connections and never answers: these bound every read and connect of the workers',
    # beat's and Flower's broker connections, which then reconnect on their own. Above the
    # worker's 1 s BRPOP poll, well below anything a person would call a hang. (The API's
    # publisher uses 1 s: reconcile/dispatch.py.)
    "socket_timeout": 5,
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
    # A connection idle this long is pinged before use, so one broken while idle (Redis
    # restarted) is noticed and replaced.
    "health_check_interval": 10,
}
broker_connection_timeout = 5
broker_connection_retry_on_startup = True
# Keep retrying a lost broker for ever (the default gives up after 100 tries, about 50
# minutes into an outage, and the worker exits).
broker_connection_max_retries = None
# The API must not hang on a dead broker: fail the publish quickly, the sweep re-dispatches.
# One retry at once replaces a pooled connection that died with a restarted Redis.
task_publish_retry_policy = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}

task_soft_time_limit = 60
task_time_limit = 90
worker_send_task_events = True
task_send_sent_event = False
worker_hijack_root_logger = False

# Beat: RedBeat keeps the schedule and each entry's last run in Redis, so a restarted beat
# neither repeats nor skips a run, and a Redis lock lets one beat schedule at a time (a second
# one waits as a standby). tasks/beat.py rides out a Redis outage.
beat_scheduler = "tasks.beat:Scheduler"
redbeat_redis_url = _config.redis_client_url(broker_url)
redbeat_key_prefix = "reconcile:beat:"
# Beat wakes at least this often (seconds) to extend its lock, and a standby polls as often.
beat_max_loop_interval = 5
# A beat that dies without releasing the lock blocks a standby for at most this long.
redbeat_lock_timeout = 30
# Short timeouts: a hung Redis must not hang beat; the scheduler retries instead.
redbeat_redis_options = {"socket_timeout": 5, "socket_connect_timeout": 5}
