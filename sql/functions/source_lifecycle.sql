-- What a legacy appointments.source value says about how an appointment was
-- created (DESIGN.md §1.3, §3): its booking_source and created_by, from
-- dbguard.source_mappings, matched without regard to case or surrounding blanks
-- ('Cal.com ' maps like 'cal.com'); an exact match wins over a case variant.
-- NULLs when the source maps to nothing. The one derivation used by the
-- creation_metadata rule (new rows) and by `dbguard backfill metadata` (old rows),
-- so both give the same answer for the same row.
-- PL/pgSQL, not SQL: a SQL function that cannot be inlined is parsed and planned
-- again in every transaction that calls it from a rule (~450 k instructions a
-- booking on PostgreSQL 15); PL/pgSQL keeps the plan of its query for the session.
CREATE OR REPLACE FUNCTION dbguard.source_lifecycle(
    p_source           text,
    OUT booking_source text,
    OUT created_by     text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    -- The source as mapped (the common case): one look-up by the key, without
    -- lower-casing every mapping.
    SELECT sm.booking_source, sm.created_by
      INTO booking_source, created_by
      FROM dbguard.source_mappings sm
     WHERE sm.source = p_source;
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT sm.booking_source, sm.created_by
      INTO booking_source, created_by
      FROM dbguard.source_mappings sm
     WHERE pg_catalog.lower(sm.source) = pg_catalog.lower(pg_catalog.btrim(p_source))
     ORDER BY sm.source = p_source DESC, sm.source
     LIMIT 1;
END
$$;
REVOKE ALL ON FUNCTION dbguard.source_lifecycle(text) FROM PUBLIC;
