-- A CREATE INDEX CONCURRENTLY that failed or was killed leaves an INVALID index
-- behind, which CREATE INDEX ... IF NOT EXISTS would then silently accept.
CREATE OR REPLACE FUNCTION dbguard.drop_invalid_index(p_index text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_index regclass := pg_catalog.to_regclass(p_index);
BEGIN
    IF v_index IS NULL OR (SELECT i.indisvalid FROM pg_catalog.pg_index i WHERE i.indexrelid = v_index) THEN
        RETURN false;
    END IF;
    RAISE NOTICE 'dropping invalid index % left by an interrupted migration', v_index;
    EXECUTE pg_catalog.format('DROP INDEX %s', v_index);
    RETURN true;
END
$$;
