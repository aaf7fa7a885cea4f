-- The value a rule stores for a vocabulary column, by the rule's mode
-- (DESIGN.md §1.2): a known value (or NULL) passes. Otherwise:
--   'enforce' refuses it (23Q02);
--   'correct' repairs a case/blank variant of a known code to that code (alert
--             auto_corrected, and a WARNING with the enforce message), and
--             refuses anything else like 'enforce': an unknown code has no
--             repair, and no other code is ever substituted for it;
--   'alert'   stores it as written and records an alert.
-- p_fallback is no longer used (kept so the rules' calls stay valid).
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
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_normalised text := pg_catalog.lower(pg_catalog.btrim(p_value));
    v_repairable boolean;
    v_msg record;
BEGIN
    IF p_mode = 'off' OR dbguard.in_vocabulary(p_vocabulary, p_value) THEN
        RETURN p_value;
    END IF;
    v_repairable := dbguard.in_vocabulary(p_vocabulary, v_normalised);
    IF p_mode = 'enforce' OR (p_mode = 'correct' AND NOT v_repairable) THEN
        PERFORM dbguard.raise_vocabulary_error(p_vocabulary, p_value, p_table, p_column, p_row_id);
    END IF;
    v_msg := dbguard.vocabulary_message(p_vocabulary, p_value, p_table, p_column, p_row_id);
    PERFORM dbguard.rule_violation(p_rule, p_mode, '23Q02', 'vocabulary_violation', p_entity_type, p_row_id,
        v_msg.message, v_msg.detail, v_msg.hint,
        pg_catalog.jsonb_build_object(
            'table', p_table, 'column', p_column, 'value', p_value, 'vocabulary', p_vocabulary,
            'allowed', (SELECT pg_catalog.jsonb_agg(v.code ORDER BY v.code)
                          FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary),
            'corrected_to', CASE WHEN p_mode = 'correct' THEN v_normalised END),
        p_table, p_column);
    RETURN CASE WHEN p_mode = 'correct' THEN v_normalised ELSE p_value END;
END
$$;
REVOKE ALL ON FUNCTION dbguard.vocabulary_value(text, text, text, text, text, text, text, text, text) FROM PUBLIC;
