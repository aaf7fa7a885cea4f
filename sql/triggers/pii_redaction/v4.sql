-- rule: pii_redaction
-- version: 4
-- function: dbguard.tg_json__pii_redaction()
-- guarantees: e-mail addresses and phone numbers inside appointments.metadata and appointment_events.details, at any depth, are replaced by '[email]' / '[phone]' markers before the row is stored; the JSON shape and every other value stay as written.

-- v4 (issue 7): the v3 first test moved into the triggers' WHEN clauses, so
-- JSON that passes it (every history row dbguard writes itself, a payload of
-- statuses and timestamps) calls no PL/pgSQL at all. The function drops the
-- timestamp test the clause now makes; the rest is unchanged.

-- v3 (issue 7): a cheaper first test, which clears every history row dbguard
-- itself writes (statuses, sources, timestamps): no '@', no phone-like key,
-- and fewer than six digits once whole timestamp strings are set aside.
-- dbguard.redact_pii_text only ever replaces an e-mail address (has '@') or a
-- phone number (six digits or more), and never a timestamp; a timestamp
-- string set aside is bounded by quotes, which no phone pattern spans. So
-- such JSON is unchanged by redaction; the v2 checks follow otherwise.

-- v2 (issue 7): the mode is read inline, and dbguard.redact_pii (a recursive
-- PL/pgSQL walk, ~20 µs a call on PostgreSQL 15) runs only when the JSON text
-- could contain PII at all: an '@' or a phone-like key anywhere in the JSON
-- text, or a string value (unescaped) that dbguard.redact_pii_text would
-- change. What redact_pii replaces always trips one of these, so skipping is
-- safe; history rows (dates, sources) skip it with one redact_pii_text call
-- instead of a walk, and the phone patterns live in redact_pii_text alone.

-- Redacts PII from the JSON column of the table it is attached to
-- (appointments.metadata, appointment_events.details) with dbguard.redact_pii.
-- Redaction is routine data handling, so 'correct' is silent; 'alert' stores
-- the payload unchanged and alerts (without the values); 'enforce' refuses it.
CREATE OR REPLACE FUNCTION dbguard.tg_json__pii_redaction()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = ''
AS $$
DECLARE
    v_mode text := coalesce((SELECT s.mode FROM dbguard.rule_settings s WHERE s.rule = 'pii_redaction'), 'correct');
    v_appointments boolean := TG_TABLE_NAME = 'appointments';
    v_column text := CASE WHEN TG_TABLE_NAME = 'appointments' THEN 'metadata' ELSE 'details' END;
    v_value jsonb;
    v_redacted jsonb;
    v_json text;
    v_text text;
BEGIN
    IF v_mode = 'off' THEN
        RETURN NEW;
    END IF;
    -- By column name, not NEW.metadata / NEW.details: one function serves both
    -- tables, and each table lacks the other's column.
    v_value := pg_catalog.to_jsonb(NEW) -> v_column;
    v_json := v_value::text;
    -- The WHEN clauses let through only JSON with an '@', a phone-like key or six
    -- digits outside timestamps; without the first two, the digits decide.
    IF v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")' THEN
        -- The string values, each as stored (unescaped), joined by a space.
        v_text := (SELECT pg_catalog.string_agg(x.item #>> '{}', ' ')
                     FROM pg_catalog.jsonb_path_query(v_value, 'strict $.**') AS x (item)
                    WHERE pg_catalog.jsonb_typeof(x.item) = 'string');
        IF v_text IS NULL OR dbguard.redact_pii_text(v_text) = v_text THEN
            RETURN NEW;
        END IF;
    END IF;
    v_redacted := dbguard.redact_pii(v_value);
    IF v_redacted IS NOT DISTINCT FROM v_value THEN
        RETURN NEW;
    END IF;

    IF v_mode = 'correct' THEN
        RETURN pg_catalog.jsonb_populate_record(NEW, pg_catalog.jsonb_build_object(v_column, v_redacted));
    END IF;
    PERFORM dbguard.rule_violation('pii_redaction', v_mode, 'DG001', 'pii_in_metadata',
        CASE WHEN v_appointments THEN 'appointment' ELSE 'appointment_event' END, NEW.id::text,
        pg_catalog.format('dbguard: %s.%s row %s: %s contains e-mail addresses or phone numbers',
                          TG_TABLE_SCHEMA, TG_TABLE_NAME, NEW.id, v_column),
        'raw provider payloads must not keep personal data',
        pg_catalog.format('Store the payload through dbguard.redact_pii(...), or switch rule pii_redaction to correct '
                          '(dbguard rules set-mode pii_redaction correct) to redact on write.'),
        pg_catalog.jsonb_build_object('table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'column', v_column, 'row_id', NEW.id),
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, v_column);
    RETURN NEW;
END
$$;

-- The same first test as the function's (v3): an '@', a phone-like key, or six
-- digits outside whole timestamp strings. Anything else cannot hold PII.
CREATE OR REPLACE TRIGGER dbguard_150_pii_redaction
    BEFORE INSERT ON public.appointments
    FOR EACH ROW
    WHEN (NEW.metadata IS NOT NULL
          AND (NEW.metadata::text ~ '@'
          OR NEW.metadata::text ~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          OR pg_catalog.regexp_replace(NEW.metadata::text,
                 '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:[0-9]{2}|Z)?"', '', 'g')
             ~ '([0-9][^0-9]*){6}'))
    EXECUTE FUNCTION dbguard.tg_json__pii_redaction();

CREATE OR REPLACE TRIGGER dbguard_150_pii_redaction_update
    BEFORE UPDATE ON public.appointments
    FOR EACH ROW
    WHEN (NEW.metadata IS DISTINCT FROM OLD.metadata AND NEW.metadata IS NOT NULL
          AND (NEW.metadata::text ~ '@'
          OR NEW.metadata::text ~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          OR pg_catalog.regexp_replace(NEW.metadata::text,
                 '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:[0-9]{2}|Z)?"', '', 'g')
             ~ '([0-9][^0-9]*){6}'))
    EXECUTE FUNCTION dbguard.tg_json__pii_redaction();

CREATE OR REPLACE TRIGGER dbguard_150_pii_redaction
    BEFORE INSERT ON public.appointment_events
    FOR EACH ROW
    WHEN (NEW.details IS NOT NULL
          AND (NEW.details::text ~ '@'
          OR NEW.details::text ~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          OR pg_catalog.regexp_replace(NEW.details::text,
                 '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:[0-9]{2}|Z)?"', '', 'g')
             ~ '([0-9][^0-9]*){6}'))
    EXECUTE FUNCTION dbguard.tg_json__pii_redaction();

CREATE OR REPLACE TRIGGER dbguard_150_pii_redaction_update
    BEFORE UPDATE ON public.appointment_events
    FOR EACH ROW
    WHEN (NEW.details IS DISTINCT FROM OLD.details AND NEW.details IS NOT NULL
          AND (NEW.details::text ~ '@'
          OR NEW.details::text ~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          OR pg_catalog.regexp_replace(NEW.details::text,
                 '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:[0-9]{2}|Z)?"', '', 'g')
             ~ '([0-9][^0-9]*){6}'))
    EXECUTE FUNCTION dbguard.tg_json__pii_redaction();
