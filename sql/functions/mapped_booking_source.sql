-- The booking source dbguard.source_mappings maps a source to (NULL when it maps
-- none), without a query: dbguard.write_lookup_functions() rewrites this function
-- from dbguard.source_mappings whenever the table changes, as
-- two arrays (sources, booking sources) and one array_position, so creation_metadata
-- maps a legacy source without a statement. No SET search_path, for
-- the reasons in in_vocabulary.sql.
-- This file is the function as written for an empty table; dbguard migrate
-- writes the real one right after installing it.
CREATE OR REPLACE FUNCTION dbguard.mapped_booking_source(p_source text)
RETURNS text
LANGUAGE sql
STABLE
PARALLEL SAFE
AS $body$
    -- Written by dbguard.write_lookup_functions() from dbguard.source_mappings: do
    -- not edit, change dbguard.source_mappings instead.
    SELECT CAST(NULL AS pg_catalog.text)
$body$;
