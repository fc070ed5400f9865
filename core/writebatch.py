"""The writes of one step of a transaction, sent to PostgreSQL as one statement (issue 21, item 4).

A payout's creation writes, under the shop account's lock, the account's new balances, a ledger entry, the
submission to send, its events and the order's operation-log entry: five round trips, each holding the lock a
little longer. `WriteBatch` collects them — model instances, as the services build them — and `flush()` sends
them as one statement of data-modifying CTEs (`WITH u0 AS (UPDATE …), i0 AS (INSERT … RETURNING id), …`),
each row's values prepared by its fields exactly as `save()` prepares them, and the new ids set back on the
instances. Nothing changes in what is written: the same rows, the same values, in the same transaction.

Where the database is not PostgreSQL (the embedded SQLite demo) `flush()` writes each one with the ORM.
Writes in one batch must not depend on each other's results (they share one snapshot): the services batch
only rows whose values they already hold. No model signals are sent (none of these models has a receiver).
"""

from django.db import connection, models


class WriteBatch:
    def __init__(self):
        self._updates: list[tuple[models.Model, tuple[str, ...]]] = []
        self._inserts: list[list[models.Model]] = []  # consecutive rows of one model are one multi-row INSERT

    def update(self, obj: models.Model, fields: tuple[str, ...] | list[str]) -> None:
        """`obj.save(update_fields=fields)`, in the batch."""
        self._updates.append((obj, tuple(fields)))

    def insert(self, *objs: models.Model) -> None:
        """`obj.save()` of new rows (their ids are set by `flush()`), in the batch."""
        for obj in objs:
            if self._inserts and type(self._inserts[-1][0]) is type(obj):
                self._inserts[-1].append(obj)
            else:
                self._inserts.append([obj])

    def flush(self) -> None:
        updates, inserts = self._updates, self._inserts
        self._updates, self._inserts = [], []
        if not updates and not inserts:
            return
        if connection.vendor != "postgresql":
            for obj, fields in updates:
                obj.save(update_fields=fields)
            for rows in inserts:  # bulk_create: no save() side effects, as on PostgreSQL
                type(rows[0]).objects.bulk_create(rows)
            return
        parts, params, selects = [], [], []
        for n, (obj, fields) in enumerate(updates):
            meta = obj._meta
            assigned = []
            for name in fields:
                field = meta.get_field(name)
                value = field.get_db_prep_save(field.pre_save(obj, False), connection)
                assigned.append(f'"{field.column}" = %s')
                params.append(value)
            params.append(obj.pk)
            parts.append(f'u{n} AS (UPDATE "{meta.db_table}" SET {", ".join(assigned)} '
                         f'WHERE "{meta.pk.column}" = %s RETURNING 1)')
        for n, rows in enumerate(inserts):
            meta = rows[0]._meta
            with_pk = rows[0].pk is not None  # an id reserved beforehand (nextval) goes in as given
            fields = [f for f in meta.concrete_fields if with_pk or not (f.primary_key and f.db_returning)]
            placeholders = []
            for obj in rows:
                placeholders.append("(" + ", ".join(["%s"] * len(fields)) + ")")
                params.extend(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)
            columns = ", ".join(f'"{f.column}"' for f in fields)
            parts.append(f'i{n} AS (INSERT INTO "{meta.db_table}" ({columns}) VALUES {", ".join(placeholders)} '
                         f'RETURNING "{meta.pk.column}")')
            selects.append(f'SELECT {n}, "{meta.pk.column}" FROM i{n}')
        if not selects:  # updates only: the statement must select something
            selects.append("SELECT -1, 0 WHERE false")
        sql = f"WITH {', '.join(parts)} {' UNION ALL '.join(selects)}"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            returned = cursor.fetchall()
        by_insert: dict[int, list] = {}
        for n, pk in returned:
            by_insert.setdefault(n, []).append(pk)
        for n, rows in enumerate(inserts):
            for obj, pk in zip(rows, by_insert.get(n, ()), strict=True):
                obj.pk = pk
                obj._state.adding = False
                obj._state.db = connection.alias
        for obj, _fields in updates:
            obj._state.db = connection.alias
