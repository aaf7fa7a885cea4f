-- rule: pii_redaction
-- version: 9
-- function: dbguard.tg_json__pii_redaction()
-- guarantees: e-mail addresses and phone numbers inside appointments.metadata and appointment_events.details, at any depth, are replaced by '[email]' / '[phone]' markers before the row is stored; the JSON shape and every other value stay as written.

-- Redacts PII from the JSON column of the table it is attached to
-- (appointments.metadata, appointment_events.details) with dbguard.redact_pii.
-- Redaction is routine data handling, so 'correct' is silent; 'alert' stores
-- the payload unchanged and alerts (without the values); 'enforce' refuses it.
CREATE OR REPLACE FUNCTION dbguard.tg_json__pii_redaction()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode pg_catalog.text;
    v_appointments boolean;
    v_column pg_catalog.text;
    v_value pg_catalog.jsonb;
    v_redacted pg_catalog.jsonb;
    v_json pg_catalog.text;
    v_text pg_catalog.text;
BEGIN
    -- Runs as its owner: only on the table(s) it was written for.
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass AND TG_RELID <> 'public.appointment_events'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_json__pii_redaction() is a trigger of public.appointments and public.appointment_events only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    -- One branch per table: each table lacks the other's column, and a field
    -- reference is resolved only when its statement runs. (OLD is NULL on INSERT.)
    IF TG_TABLE_NAME = 'appointments' THEN
        IF TG_OP = 'UPDATE' AND NEW.metadata IS NOT DISTINCT FROM OLD.metadata THEN
            RETURN NEW;
        END IF;
        v_value := NEW.metadata;
    ELSE
        IF TG_OP = 'UPDATE' AND NEW.details IS NOT DISTINCT FROM OLD.details THEN
            RETURN NEW;
        END IF;
        v_value := NEW.details;
    END IF;
    v_json := v_value::pg_catalog.text;
    -- The first test: an '@', a phone-like key, or the tail of a phone number
    -- (v7, above). JSON without any of them cannot hold PII.
    IF v_json IS NULL
       OR v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          AND v_json !~ ('[0-9](?:[ ()\-/]{0,2}[0-9]){6}(?![0-9A-Za-z_\-])'
                         '|\+[0-9](?:[ ().\-/]{0,2}[0-9]){6}'
                         '|[0-9]{3}[ .\-][0-9]{4}(?![0-9A-Za-z_\-])') THEN
        RETURN NEW;
    END IF;
    v_appointments := TG_TABLE_NAME = 'appointments';
    IF v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")' THEN
        -- The v3 test for what the tail test leaves: a fraction joined to a
        -- negative UTC offset ('.000001-08:00') looks like a phone's tail.
        IF pg_catalog.regexp_replace(v_json,
               '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:[0-9]{2}|Z)?"', '', 'g')
           !~ '([0-9][^0-9]*){6}' THEN
            RETURN NEW;
        END IF;
        -- The string values, each as stored (unescaped), joined by a space.
        v_text := (SELECT pg_catalog.string_agg(x.item #>> '{}', ' ')
                     FROM pg_catalog.jsonb_path_query(v_value, 'strict $.**') AS x (item)
                    WHERE pg_catalog.jsonb_typeof(x.item) = 'string');
        IF v_text IS NULL OR dbguard.redact_pii_text(v_text) = v_text THEN
            RETURN NEW;
        END IF;
    END IF;
    -- Read only now: 'off' must still store the payload as written.
    v_mode := dbguard.rule_mode('pii_redaction');
    IF v_mode = 'off' THEN
        RETURN NEW;
    END IF;
    -- Named only past the first test: most rows (every history row) stop there.
    v_column := CASE WHEN v_appointments THEN 'metadata' ELSE 'details' END;
    v_redacted := dbguard.redact_pii(v_value);
    IF v_redacted IS NOT DISTINCT FROM v_value THEN
        RETURN NEW;
    END IF;

    IF v_mode = 'correct' THEN
        RETURN pg_catalog.jsonb_populate_record(NEW, pg_catalog.jsonb_build_object(v_column, v_redacted));
    END IF;
    PERFORM dbguard.rule_violation('pii_redaction', v_mode, '23Q01', 'pii_in_metadata',
        CASE WHEN v_appointments THEN 'appointment' ELSE 'appointment_event' END, NEW.id::pg_catalog.text,
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
REVOKE ALL ON FUNCTION dbguard.tg_json__pii_redaction() FROM PUBLIC;

-- Only a non-NULL payload can hold PII; the test itself is the function's.
CREATE OR REPLACE TRIGGER dbguard_150_pii_redaction
    BEFORE INSERT ON public.appointments
    FOR EACH ROW
    WHEN (NEW.metadata IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_json__pii_redaction();

-- Only an update that sets the payload (a change by an earlier BEFORE trigger
-- of the application's own is not seen; dbguard's triggers never set it).
CREATE OR REPLACE TRIGGER dbguard_150_pii_redaction_update
    BEFORE UPDATE OF metadata ON public.appointments
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_json__pii_redaction();

-- No WHEN clause: every history row has details, so a clause would only add
-- its per-statement cost.
CREATE OR REPLACE TRIGGER dbguard_150_pii_redaction
    BEFORE INSERT ON public.appointment_events
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_json__pii_redaction();

CREATE OR REPLACE TRIGGER dbguard_150_pii_redaction_update
    BEFORE UPDATE OF details ON public.appointment_events
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_json__pii_redaction();
