-- Keeps dbguard.in_vocabulary, dbguard.code_is_active and
-- dbguard.mapped_booking_source in step with dbguard.vocabularies and
-- dbguard.source_mappings: any statement that writes either table rewrites all
-- three (see write_lookup_functions.sql).
CREATE OR REPLACE FUNCTION dbguard.tg_lookup_tables__lookup_functions()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    PERFORM dbguard.write_lookup_functions();
    RETURN NULL;
END
$$;
