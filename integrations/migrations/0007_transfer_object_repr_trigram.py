"""Free-text search in the sync log through a trigram index (PostgreSQL's pg_trgm).

The admin searches `object_repr` with `icontains`, which PostgreSQL runs as
`UPPER(object_repr::text) LIKE UPPER('%…%')`; a GIN index over the same expression with
`gin_trgm_ops` answers that without reading the table. Built CONCURRENTLY, so a large sync log
stays writable meanwhile (hence not atomic). On SQLite nothing happens: search falls back to a
scan there. pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
"""

from django.db import migrations

INDEX = "integ_transfer_repr_trgm"
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON integrations_transfer "
    "USING gin (UPPER(object_repr::text) gin_trgm_ops)",
]
DROP = [f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}"]


def _on_postgresql(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("integrations", "0006_transfer_error_group")]

    operations = [migrations.RunPython(_on_postgresql(CREATE), _on_postgresql(DROP))]
