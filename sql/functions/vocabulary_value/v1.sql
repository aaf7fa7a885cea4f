-- The value a rule stores for a vocabulary column, by the rule's mode: a known
-- value (or NULL) passes; otherwise 'alert' records it and keeps it, 'enforce'
-- refuses it (DG002), 'correct' repairs it and records the original value in
-- the alert: a case/blank variant of a known code becomes that code, anything
-- else is treated as not given and replaced by p_fallback (the value the rule
-- derives or defaults to; may be NULL).
CREATE OR REPLACE FUNCTION dbguard.vocabulary_value(
    p_rule        text,
    p_mode        text,
    p_vocabulary  text,
    p_value       text,
    p_fallback    text,
    p_entity_type text,
    p_table       text,
    p_column      text,
    p_row_id      text)
RETURNS text
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_normalised text := pg_catalog.lower(pg_catalog.btrim(p_value));
    v_new text;
BEGIN
    IF p_mode = 'off' OR dbguard.in_vocabulary(p_vocabulary, p_value) THEN
        RETURN p_value;
    END IF;
    IF p_mode = 'enforce' THEN
        PERFORM dbguard.raise_vocabulary_error(p_vocabulary, p_value, p_table, p_column, p_row_id);
    END IF;
    v_new := CASE WHEN dbguard.in_vocabulary(p_vocabulary, v_normalised) THEN v_normalised ELSE p_fallback END;
    PERFORM dbguard.raise_alert(
        'vocabulary_violation', 'warning', p_entity_type, p_row_id,
        pg_catalog.format('%s.%s = %L is not an allowed %s', p_table, p_column, p_value, p_vocabulary)
            || CASE WHEN p_mode = 'correct' THEN pg_catalog.format('; stored %L instead', v_new) ELSE '' END,
        pg_catalog.jsonb_build_object(
            'table', p_table, 'column', p_column, 'value', p_value, 'vocabulary', p_vocabulary,
            'allowed', (SELECT pg_catalog.jsonb_agg(v.code ORDER BY v.code)
                          FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary),
            'corrected_to', CASE WHEN p_mode = 'correct' THEN v_new END),
        'trigger', p_mode = 'correct', p_rule);
    RETURN CASE WHEN p_mode = 'correct' THEN v_new ELSE p_value END;
END
$$;
