-- Refuses a value outside its vocabulary with an error that names the table,
-- row, column, value and the allowed values (never a bare foreign-key error).
CREATE OR REPLACE FUNCTION dbguard.raise_vocabulary_error(
    p_vocabulary text,
    p_value      text,
    p_table      text,
    p_column     text,
    p_row_id     text)
RETURNS void
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
DECLARE
    v_allowed text := (SELECT pg_catalog.string_agg(v.code, ', ' ORDER BY v.code)
                         FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary);
BEGIN
    RAISE EXCEPTION 'dbguard: %.% = % is not an allowed %', p_table, p_column, pg_catalog.quote_literal(p_value), p_vocabulary
        USING ERRCODE = 'DG002',
              DETAIL = pg_catalog.format('row id %s; allowed values: %s', coalesce(p_row_id, '(new row)'), v_allowed),
              HINT = pg_catalog.format('Use one of the allowed values, or add the value to the vocabulary: '
                                       'INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES (%L, %L);',
                                       p_vocabulary, p_value),
              TABLE = p_table, COLUMN = p_column;
END
$$;
