-- Reports a broken rule the way the rule's mode asks (docs/concepts.md):
-- 'alert' records an alert and leaves the row as written; 'correct' records an
-- alert marked auto_corrected and tells the client with a WARNING carrying the
-- message, DETAIL and HINT that 'enforce' would raise (every driver's notice
-- handler hears what was repaired); 'enforce' refuses the write.
-- Returns true when the caller should repair the row (mode 'correct'), so every
-- rule shares one reading of the modes. The alert never carries column values
-- beyond what p_details holds: callers keep PII out of it.
-- SQLSTATEs are in class 23 (integrity constraint violation), subclass 23Qnn
-- (docs/errors.md), so psycopg, psycopg2, SQLAlchemy, PDO and node-postgres
-- classify them as integrity errors without knowing dbguard. A caller that
-- still passes an older 'DGnnn' code gets the matching '23Qnn'.
DROP FUNCTION IF EXISTS dbguard.rule_violation(text, text, text, text, text, text, text, text, text, jsonb, text, text);
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
    p_column       text DEFAULT NULL,
    p_severity     text DEFAULT 'warning')
RETURNS boolean
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_sqlstate pg_catalog.text := CASE WHEN p_sqlstate ~ '^DG0[0-9][0-9]$'
                                       THEN '23Q' || pg_catalog.right(p_sqlstate, 2)
                                       ELSE p_sqlstate END;
BEGIN
    IF p_mode = 'enforce' THEN
        RAISE EXCEPTION USING MESSAGE = p_message, ERRCODE = v_sqlstate,
              DETAIL = coalesce(p_detail, ''), HINT = coalesce(p_hint, ''),
              TABLE = coalesce(p_table, ''), COLUMN = coalesce(p_column, '');
    END IF;
    IF p_mode IN ('alert', 'correct') THEN
        PERFORM dbguard.raise_alert(p_alert_type, coalesce(p_severity, 'warning'), p_entity_type, p_entity_id,
                                    p_message,
                                    coalesce(p_details, '{}'::pg_catalog.jsonb)
                                        || pg_catalog.jsonb_build_object('detail', p_detail, 'mode', p_mode),
                                    'trigger', p_mode = 'correct', p_rule);
    END IF;
    IF p_mode = 'correct' THEN
        RAISE WARNING USING MESSAGE = p_message, ERRCODE = v_sqlstate,
              DETAIL = coalesce(p_detail, ''), HINT = coalesce(p_hint, ''),
              TABLE = coalesce(p_table, ''), COLUMN = coalesce(p_column, '');
    END IF;
    RETURN p_mode = 'correct';
END
$$;
REVOKE ALL ON FUNCTION dbguard.rule_violation(text, text, text, text, text, text, text, text, text, jsonb, text, text, text) FROM PUBLIC;
