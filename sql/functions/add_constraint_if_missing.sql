-- ALTER TABLE ... ADD CONSTRAINT has no IF NOT EXISTS; migrations must be re-runnable.
-- p_definition is migration-authored text, never user input.
CREATE OR REPLACE FUNCTION dbguard.add_constraint_if_missing(
    p_table      regclass,
    p_name       text,
    p_definition text)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                WHERE c.conrelid = p_table AND c.conname = p_name) THEN
        RETURN false;
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', p_table, p_name, p_definition);
    RETURN true;
END
$$;
