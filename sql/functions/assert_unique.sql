-- Before a unique index is built on a table that already has rows: fail with the
-- offending values and what to do, instead of a half-built index.
CREATE OR REPLACE FUNCTION dbguard.assert_unique(p_table regclass, p_columns text[])
RETURNS void
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_cols text := (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') FROM pg_catalog.unnest(p_columns) c);
    v_nonnull text := (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c) || ' IS NOT NULL', ' AND ') FROM pg_catalog.unnest(p_columns) c);
    v_dups bigint;
    v_example text;
BEGIN
    EXECUTE pg_catalog.format(
        'SELECT count(*), min(k::text) FROM (SELECT (%1$s) AS k FROM %2$s WHERE %3$s GROUP BY %1$s HAVING count(*) > 1) d',
        v_cols, p_table, v_nonnull)
    INTO v_dups, v_example;
    IF v_dups > 0 THEN
        RAISE EXCEPTION 'dbguard: %.(%) has % duplicated value(s), e.g. %', p_table, v_cols, v_dups, v_example
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'dbguard makes these columns unique so that replayed provider webhooks cannot create duplicates.',
                  HINT = pg_catalog.format('List them with: SELECT %1$s, count(*) FROM %2$s GROUP BY %1$s HAVING count(*) > 1; merge or clear the duplicates, then run dbguard migrate again.', v_cols, p_table);
    END IF;
END
$$;
