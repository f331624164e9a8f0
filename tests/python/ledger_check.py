"""The money invariants the fault and crash tests check, on SQLite (a file) or PostgreSQL (a URL): every ended
job has one reserve and one final ledger row; a failed or cancelled job got its whole reservation back and
cost nothing; a succeeded job paid exactly its cost; nothing is still reserved or active; and the user's
balance is the grant minus what the successes cost, equal to the sum of every ledger row."""
import sqlite3
import subprocess

LEDGER_BY_JOB = """
    SELECT j.id, j.status,
           sum(CASE WHEN l.phase = 'reserve' THEN 1 ELSE 0 END),
           sum(CASE WHEN l.phase = 'final' THEN 1 ELSE 0 END),
           COALESCE(max(CASE WHEN l.phase = 'final' THEN l.kind END), ''),
           COALESCE(sum(CASE WHEN l.phase = 'reserve' THEN l.amount_micros END), 0),
           COALESCE(sum(CASE WHEN l.phase = 'final' THEN l.amount_micros END), 0),
           COALESCE(sum(CASE WHEN l.phase = 'final' THEN l.cost_micros END), 0)
    FROM jobs j LEFT JOIN ledger l ON l.job_id = j.id
    WHERE j.user_id = '{user}' GROUP BY j.id, j.status"""


def runner(database):
    """A function running one query on `database` (an easel.sqlite path or a postgres:// URL), rows as lists."""
    if database.startswith("postgres"):
        def run(sql):
            out = subprocess.run(["psql", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql], check=True, capture_output=True,
                                 text=True, timeout=30).stdout
            return [line.split("|") for line in out.splitlines() if line]
    else:
        def run(sql):
            with sqlite3.connect(database, timeout=30) as connection:
                return [["" if v is None else str(v) for v in row] for row in connection.execute(sql).fetchall()]
    return run


def check(run, user_id, granted_micros):
    """Asserts the invariants for `user_id`'s jobs; returns {status: count} and the total cost in micro-dollars."""
    rows = run(LEDGER_BY_JOB.format(user=user_id))
    statuses = {}
    spent = 0
    for job_id, status, reserves, finals, kind, reserved, final, cost in rows:
        reserves, finals, reserved, final, cost = int(reserves), int(finals), int(reserved), int(final), int(cost)
        statuses[status] = statuses.get(status, 0) + 1
        assert status in ("succeeded", "failed", "cancelled"), f"job {job_id} did not end: {status}"
        assert (reserves, finals) == (1, 1), f"job {job_id} ({status}): {reserves} reserve and {finals} final rows"
        if status == "succeeded":
            assert kind == "settle" and cost > 0, f"job {job_id} succeeded but was settled as {kind} for {cost}"
            assert reserved + final == -cost, f"job {job_id}: reserved {reserved}, returned {final}, cost {cost}"
        else:
            assert kind == "refund" and cost == 0, f"job {job_id} {status} but was settled as {kind} for {cost}"
            assert final == -reserved, f"job {job_id}: reserved {reserved} but {final} came back"
        spent += cost
    (balance, active), = run(f"SELECT balance_micros, active_jobs FROM users WHERE id = '{user_id}'")
    (total,), = run(f"SELECT sum(amount_micros) FROM ledger WHERE user_id = '{user_id}'")
    assert int(active) == 0, f"{active} jobs still counted active"
    assert int(balance) == granted_micros - spent, f"balance {balance}, granted {granted_micros}, spent {spent}"
    assert int(total) == int(balance), "the grant, reserves and settlements sum to the balance"
    return statuses, spent
