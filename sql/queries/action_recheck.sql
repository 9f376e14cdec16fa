-- Actions: just before an action's statements are sent, the relations it
-- was previewed on, by OID: still there, under the same name, of the same
-- kind (and an index still INVALID)?  Read-only.
--
--   $1 oid[]   the OIDs the plan pinned
--   $2 text[]  their schemas then
--   $3 text[]  their names then
--
-- One row per input, in input order (i).  found is false when the OID is
-- gone; name_oid is the OID that now has the old name (a relation dropped
-- and created again under it), NULL when none has.
WITH input AS (
    SELECT u.i, u.oid, u.schema, u.name
      FROM unnest($1::oid[], $2::text[], $3::text[]) WITH ORDINALITY AS u(oid, schema, name, i)
)
SELECT input.i,
       c.oid IS NOT NULL                                   AS found,
       n.nspname                                           AS schema,
       c.relname                                           AS name,
       c.relkind::text                                     AS relkind,
       x.indisvalid                                        AS index_valid,
       (SELECT o.oid
          FROM pg_catalog.pg_class o
          JOIN pg_catalog.pg_namespace onn ON onn.oid = o.relnamespace
         WHERE onn.nspname = input.schema AND o.relname = input.name) AS name_oid
  FROM input
  LEFT JOIN pg_catalog.pg_class c ON c.oid = input.oid
  LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_catalog.pg_index x ON x.indexrelid = c.oid
 ORDER BY input.i
