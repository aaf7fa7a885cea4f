-- Refuses to delete, rename or truncate a pinned vocabulary code. Trigger WHEN
-- clauses name a few shipped codes (call_direction inbound/outbound,
-- link_status unlinked/linked, session_outcome appointment_booked) so that
-- ordinary rows fire no PL/pgSQL at all; were such a code removed,
-- rows holding it would skip their rule's vocabulary check. Adding codes stays
-- a plain INSERT.
-- creation_metadata also names codes, in a constant
-- list it accepts before querying this table; the DETAIL says so.
CREATE OR REPLACE FUNCTION dbguard.tg_vocabularies__pinned_codes()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_code text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        SELECT v.vocabulary || '.' || v.code INTO v_code FROM dbguard.vocabularies v WHERE v.pinned LIMIT 1;
    ELSIF OLD.pinned AND (TG_OP = 'DELETE' OR (NEW.vocabulary, NEW.code, NEW.pinned) IS DISTINCT FROM (OLD.vocabulary, OLD.code, OLD.pinned)) THEN
        v_code := OLD.vocabulary || '.' || OLD.code;
    END IF;
    IF v_code IS NOT NULL THEN
        RAISE EXCEPTION 'dbguard: dbguard.vocabularies code % is pinned and cannot be removed or renamed', v_code
            USING ERRCODE = '23Q09',
                  DETAIL = 'dbguard rules name this shipped code (in a trigger WHEN clause, or a rule function''s list of codes it accepts without a query); without it, rows holding the value would skip their vocabulary check.',
                  HINT = 'Add new codes with INSERT; to retire a shipped value, switch the rule''s mode or ask the application to stop writing it.',
                  TABLE = 'vocabularies', COLUMN = 'code';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_vocabularies__pinned_codes() FROM PUBLIC;
