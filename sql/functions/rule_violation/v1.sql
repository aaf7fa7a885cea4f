-- Reports a broken rule the way the rule's mode asks (docs/rules.md):
-- 'alert' records an alert and leaves the row as written, 'correct' records an
-- alert marked auto_corrected, 'enforce' refuses the write with p_sqlstate.
-- Returns true when the caller should repair the row (mode 'correct'), so every
-- rule shares one reading of the modes. The alert never carries column values
-- beyond what p_details holds: callers keep PII out of it.
CREATE OR REPLACE FUNCTION dbguard.rule_violation(
    p_rule         text,
    p_mode         text,
    p_sqlstate     text,
    p_alert_type   text,
    p_entity_type  text,
    p_entity_id    text,
    p_message      text,
    p_detail       text,
    p_hint         text,
    p_details      jsonb DEFAULT '{}'::jsonb,
    p_table        text DEFAULT NULL,
    p_column       text DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql
SET search_path = ''
AS $$
BEGIN
    IF p_mode = 'enforce' THEN
        RAISE EXCEPTION USING MESSAGE = p_message, ERRCODE = p_sqlstate,
              DETAIL = coalesce(p_detail, ''), HINT = coalesce(p_hint, ''),
              TABLE = coalesce(p_table, ''), COLUMN = coalesce(p_column, '');
    END IF;
    IF p_mode IN ('alert', 'correct') THEN
        PERFORM dbguard.raise_alert(p_alert_type, 'warning', p_entity_type, p_entity_id, p_message,
                                    coalesce(p_details, '{}'::jsonb)
                                        || pg_catalog.jsonb_build_object('detail', p_detail, 'mode', p_mode),
                                    'trigger', p_mode = 'correct', p_rule);
    END IF;
    RETURN p_mode = 'correct';
END
$$;
