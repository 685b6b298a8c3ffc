"""One writer at a time per cell — a unit's data for one period — on PostgreSQL.

Everything the writer decides about a value depends on its cell: the approval state (submitted or approved data
is read-only), the validation rules (a part of the cell cannot exceed its whole), the stored value the history
row points back to. Under READ COMMITTED two transactions that read the cell before either commits both decide on
a state that is gone when they land: an import checked the lock before an approval committed and wrote into
approved data; a lowered whole and a raised part both passed the rule (2400 > 2200 stored and published); two
updates of one key wrote two history rows claiming the same previous value; two creates of one key ended in a
unique-key error. So every write of values, and every approval step, holds its cells' locks from before it reads
them to its commit, and reads what it decides on only once it holds them.

Locks are PostgreSQL advisory transaction locks, taken in the order of their keys (no two writers wait for each
other) in two levels, so that a batch never needs many: the server's lock table is shared by every connection
(`max_locks_per_transaction` × `max_connections`, 6,400 entries by default) and advisory locks all go there, so a
few batches of hundreds of cells each would make every transaction of the cluster fail "out of shared memory". A
writer of at most `CELL_LIMIT` cells holds each period it writes SHARED and each cell EXCLUSIVE; a larger batch
holds its periods EXCLUSIVE (every other writer of those periods waits for it, or gets the request's lock
timeout). SQLite needs none of this: its write transactions begin IMMEDIATE, one at a time.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

PERIODS = 0x67766B70  # the lock namespaces ("gvkp", "gvkc"): the first key of the two-key advisory locks
CELLS = 0x67766B63
CELL_LIMIT = 64  # more cells than this in one batch: its periods are locked whole (a form or an API call: 1)


def _hold(namespace: int, keys: list[str], shared: bool) -> None:
    """Lock each key (hashed) in one order. The order is the hash's, not the text's: two texts with one hash are
    one lock, and sorting by text could then take two locks in opposite orders in two transactions. The
    subquery sorts before the locks are taken (a function in a SELECT list runs before its ORDER BY)."""
    if not keys:
        return
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count({function}(%s, h)) FROM (SELECT DISTINCT hashtext(k) AS h "
                       "FROM unnest(%s::text[]) AS k ORDER BY h) AS ordered", [namespace, keys])


def hold(cells: Iterable[tuple[int, str]]) -> None:
    """Hold the cells `(unit id, period id)` until the transaction ends (PostgreSQL; on SQLite the transaction
    holds the whole database already). Statements of their own: what the caller decides on must be read after
    them, and then sees whatever a writer it waited for committed."""
    if connection.vendor != "postgresql":
        return
    wanted = sorted(set(cells))
    periods = sorted({period for _unit, period in wanted})
    if len(wanted) > CELL_LIMIT:
        _hold(PERIODS, periods, shared=False)
        return
    _hold(PERIODS, periods, shared=True)
    _hold(CELLS, [f"{unit}:{period}" for unit, period in wanted], shared=False)


def hold_staged(staging: str) -> None:
    """`hold` for the cells of a staged batch (the writer's temporary table), read in the database."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT unit_id, period FROM {staging} WHERE NOT refused")
        hold(cursor.fetchall())
