-- The value a rule may store in a vocabulary column: the value itself when it
-- belongs to the vocabulary (or is NULL, or the rule is off); otherwise, by
-- mode, 'alert' keeps it and alerts, 'correct' alerts and returns 'unknown'
-- (NULL if the vocabulary has no 'unknown'), 'enforce' raises DG002 through
-- dbguard.raise_vocabulary_error.
CREATE OR REPLACE FUNCTION dbguard.vocabulary_checked(
    p_rule        text,
    p_mode        text,
    p_vocabulary  text,
    p_value       text,
    p_table       text,
    p_column      text,
    p_entity_type text,
    p_row_id      text)
RETURNS text
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    IF p_mode = 'off' OR dbguard.in_vocabulary(p_vocabulary, p_value) THEN
        RETURN p_value;
    END IF;
    IF p_mode = 'enforce' THEN
        PERFORM dbguard.raise_vocabulary_error(p_vocabulary, p_value, p_table, p_column, p_row_id);
    END IF;
    PERFORM dbguard.raise_alert(
        'vocabulary_violation', 'warning', p_entity_type, p_row_id,
        pg_catalog.format('%s.%s = %L is not an allowed %s', p_table, p_column, p_value, p_vocabulary),
        pg_catalog.jsonb_build_object('table', p_table, 'column', p_column, 'value', p_value,
                                      'vocabulary', p_vocabulary, 'mode', p_mode),
        'trigger', p_mode = 'correct', p_rule);
    IF p_mode = 'correct' THEN
        RETURN CASE WHEN dbguard.in_vocabulary(p_vocabulary, 'unknown') THEN 'unknown' END;
    END IF;
    RETURN p_value;
END
$$;
