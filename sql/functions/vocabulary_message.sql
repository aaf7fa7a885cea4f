-- The message, DETAIL and HINT for a value outside its vocabulary: the one
-- wording of the error (dbguard.raise_vocabulary_error) and of the WARNING that
-- 'correct' sends when it repairs a case or blank variant (dbguard.vocabulary_value).
CREATE OR REPLACE FUNCTION dbguard.vocabulary_message(
    p_vocabulary text,
    p_value      text,
    p_table      text,
    p_column     text,
    p_row_id     text,
    OUT message  text,
    OUT detail   text,
    OUT hint     text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_allowed text := (SELECT pg_catalog.string_agg(v.code, ', ' ORDER BY v.code)
                         FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary);
    v_long boolean := pg_catalog.length(p_value) > 200;
BEGIN
    -- A value longer than any code is quoted cut short: the message stays readable
    -- (and small enough for every client's log), the alert keeps the whole value.
    message := pg_catalog.format('dbguard: %s.%s = %s is not an allowed %s',
                                 p_table, p_column,
                                 CASE WHEN v_long
                                      THEN pg_catalog.quote_literal(pg_catalog.left(p_value, 200))
                                           || pg_catalog.format('... (%s characters)', pg_catalog.length(p_value))
                                      ELSE pg_catalog.quote_literal(p_value) END,
                                 p_vocabulary);
    detail := pg_catalog.format('row id %s; allowed values: %s', coalesce(p_row_id, '(new row)'), v_allowed);
    hint := CASE WHEN v_long THEN 'Use one of the allowed values.'
                 ELSE pg_catalog.format('Use one of the allowed values, or add the value to the vocabulary: '
                                        'INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES (%L, %L);',
                                        p_vocabulary, p_value) END;
END
$$;
REVOKE ALL ON FUNCTION dbguard.vocabulary_message(text, text, text, text, text) FROM PUBLIC;
