-- The booking source dbguard.source_mappings maps a source to (NULL when it maps
-- none; NULL for NULL, without a call: STRICT).
CREATE OR REPLACE FUNCTION dbguard.mapped_booking_source(p_source text)
RETURNS text
LANGUAGE sql
STABLE
STRICT
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT m.booking_source FROM dbguard.source_mappings m
     WHERE m.source OPERATOR(pg_catalog.=) p_source
$$;
REVOKE ALL ON FUNCTION dbguard.mapped_booking_source(text) FROM PUBLIC;
