-- Rewrites dbguard.in_vocabulary and dbguard.code_is_active from
-- dbguard.vocabularies and dbguard.mapped_booking_source from
-- dbguard.source_mappings, so that a rule checks a code or maps a source without a
-- query (the pattern of write_rule_mode.sql). Called
-- by the triggers on both tables:
-- every change, through a migration, a backfill or a DBA's plain INSERT,
-- rewrites all three in the same transaction (a rollback restores the old ones).
-- search_path is pinned to pg_catalog, pg_temp; the generated functions name
-- their types pg_catalog's and are not executable by PUBLIC (docs/security.md).
CREATE OR REPLACE FUNCTION dbguard.write_lookup_functions()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_vocabularies text;
    v_active text;
    v_mappings text;
BEGIN
    PERFORM dbguard.lock_generated_functions('dbguard.write_lookup_functions',
        'dbguard.vocabularies and dbguard.source_mappings',
        'dbguard.in_vocabulary(), dbguard.code_is_active() and dbguard.mapped_booking_source()');

    -- One pass over the vocabularies for both bodies. in_vocabulary: the codes of
    -- each vocabulary. code_is_active: is_active per code, true, false or NULL (not
    -- set); a first branch that never applies keeps the inner CASE valid and
    -- boolean when a list is empty.
    SELECT pg_catalog.string_agg(
               pg_catalog.format('WHEN p_vocabulary OPERATOR(pg_catalog.=) %L THEN p_value OPERATOR(pg_catalog.=) ANY (ARRAY[%s])',
                                 c.vocabulary, c.codes),
               E'\n                ' ORDER BY c.vocabulary),
           pg_catalog.string_agg(
               pg_catalog.format('WHEN p_vocabulary OPERATOR(pg_catalog.=) %L THEN CASE WHEN false THEN false%s%s END',
                                 c.vocabulary,
                                 ' WHEN p_value OPERATOR(pg_catalog.=) ANY (ARRAY[' || c.active || ']) THEN true',
                                 ' WHEN p_value OPERATOR(pg_catalog.=) ANY (ARRAY[' || c.inactive || ']) THEN false'),
               E'\n                ' ORDER BY c.vocabulary)
      INTO v_vocabularies, v_active
      FROM (SELECT v.vocabulary,
                   pg_catalog.string_agg(pg_catalog.quote_literal(v.code), ', ' ORDER BY v.code) AS codes,
                   pg_catalog.string_agg(pg_catalog.quote_literal(v.code), ', ' ORDER BY v.code) FILTER (WHERE v.is_active) AS active,
                   pg_catalog.string_agg(pg_catalog.quote_literal(v.code), ', ' ORDER BY v.code) FILTER (WHERE NOT v.is_active) AS inactive
              FROM dbguard.vocabularies v
             GROUP BY v.vocabulary) c;
    -- Two parallel arrays, sources and their booking sources, and one look-up: a
    -- CASE with a branch per mapping cost ~30 k instructions a call to set up
    -- (PL/pgSQL prepares an expression once per transaction).
    SELECT pg_catalog.format('(ARRAY[%s])[pg_catalog.array_position(ARRAY[%s], p_source)]',
                             pg_catalog.string_agg(pg_catalog.quote_literal(m.booking_source), ', ' ORDER BY m.source),
                             pg_catalog.string_agg(pg_catalog.quote_literal(m.source), ', ' ORDER BY m.source))
      INTO v_mappings
      FROM dbguard.source_mappings m
    HAVING pg_catalog.count(*) > 0;          -- no row (NULL) for an empty table

    -- No SET clause and no table in the bodies: that is what lets the planner inline
    -- the calls (and fold a constant vocabulary name away). Operators, the one
    -- function and the one type are pg_catalog's, named so; the literals are text.
    -- Each body is passed as a quoted literal (%L), not between dollar quotes, so
    -- no code or source, whatever it holds, can end the body early.
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION dbguard.in_vocabulary(p_vocabulary pg_catalog.text, p_value pg_catalog.text) '
        'RETURNS pg_catalog.bool LANGUAGE sql STABLE PARALLEL SAFE AS %L',
        pg_catalog.format($body$
    -- Written by dbguard.write_lookup_functions() from dbguard.vocabularies: do not
    -- edit, change dbguard.vocabularies instead.
    SELECT p_value IS NULL
           OR CASE %s
                   ELSE false
              END
$body$, coalesce(v_vocabularies, 'WHEN false THEN false')));
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION dbguard.code_is_active(p_vocabulary pg_catalog.text, p_value pg_catalog.text) '
        'RETURNS pg_catalog.bool LANGUAGE sql STABLE PARALLEL SAFE AS %L',
        pg_catalog.format($body$
    -- Written by dbguard.write_lookup_functions() from dbguard.vocabularies: do not
    -- edit, change dbguard.vocabularies instead.
    SELECT CASE %s
           END
$body$, coalesce(v_active, 'WHEN false THEN false')));
    EXECUTE pg_catalog.format(
        'CREATE OR REPLACE FUNCTION dbguard.mapped_booking_source(p_source pg_catalog.text) '
        'RETURNS pg_catalog.text LANGUAGE sql STABLE PARALLEL SAFE AS %L',
        pg_catalog.format($body$
    -- Written by dbguard.write_lookup_functions() from dbguard.source_mappings: do
    -- not edit, change dbguard.source_mappings instead.
    SELECT %s
$body$, coalesce(v_mappings, 'CAST(NULL AS pg_catalog.text)')));
    REVOKE ALL ON FUNCTION dbguard.in_vocabulary(pg_catalog.text, pg_catalog.text),
                           dbguard.code_is_active(pg_catalog.text, pg_catalog.text),
                           dbguard.mapped_booking_source(pg_catalog.text) FROM PUBLIC;
END
$$;
REVOKE ALL ON FUNCTION dbguard.write_lookup_functions() FROM PUBLIC;
