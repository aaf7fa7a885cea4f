-- Refuses a value outside its vocabulary with an error that names the table,
-- row, column, value and the allowed values (never a bare foreign-key error).
-- SQLSTATE 23Q02 (class 23, docs/errors.md). dbguard.vocabulary_value() raises
-- the same message, DETAIL and HINT as a WARNING when 'correct' repairs a case
-- or blank variant: both take them from dbguard.vocabulary_message().
CREATE OR REPLACE FUNCTION dbguard.raise_vocabulary_error(
    p_vocabulary text,
    p_value      text,
    p_table      text,
    p_column     text,
    p_row_id     text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_msg record := dbguard.vocabulary_message(p_vocabulary, p_value, p_table, p_column, p_row_id);
BEGIN
    RAISE EXCEPTION USING MESSAGE = v_msg.message, ERRCODE = '23Q02', DETAIL = v_msg.detail, HINT = v_msg.hint,
              TABLE = p_table, COLUMN = p_column;
END
$$;
REVOKE ALL ON FUNCTION dbguard.raise_vocabulary_error(text, text, text, text, text) FROM PUBLIC;
