/* block /* nested */ comment; CREATE INDEX no ON t (a); */
-- CREATE INDEX nope ON t (a);
\set ON_ERROR_STOP on
\echo one; two
SET lock_timeout = '3s';
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "Odd ""Name""" ON "My Schema"."T;able" USING btree ("Col" DESC NULLS LAST)
    INCLUDE (x) WITH (fillfactor = 90) WHERE y = E'it\'s' AND z = 'a''b;c';
CREATE INDEX lower_idx ON ONLY Public.Events USING gin (to_tsvector('english', body)) WHERE kind = $k$;$k$;
DO $$ BEGIN EXECUTE 'CREATE INDEX inner ON t (a)'; END $$;
SELECT format('CREATE INDEX g%s ON t (a)', 1) \gexec
CREATE INDEX last_one ON t (a)\g
CREATE INDEX at_eof ON x.y.z (a)
