-- rule: pii_redaction
-- version: 10
-- tables: appointments, appointment_events
-- timing: before insert or update of metadata on appointments; before insert or update of details on appointment_events
-- guarantees: e-mail addresses and phone numbers inside appointments.metadata and appointment_events.details, at any depth, are replaced by '[email]' / '[phone]' markers before the row is stored; the JSON shape and every other value stay as written.
-- modes: off: nothing; alert: the payload is stored unchanged and alerted (pii_in_metadata, without the values); correct: the PII is replaced by markers, silently; enforce: the payload is refused (23Q01).

-- Redacts PII from the JSON column of the table it is attached to
-- (appointments.metadata, appointment_events.details) with dbguard.redact_pii.
-- Redaction is routine data handling, so 'correct' is silent; 'alert' stores
-- the payload unchanged and alerts (without the values); 'enforce' refuses it.
-- appointments: only a non-NULL payload can hold PII, and only an update that
-- changes the payload is looked at. appointment_events: no fast path: every
-- history row has details.

-- fragment: appointments before row 150
-- insert when: NEW.metadata IS NOT NULL
-- update of: metadata
DECLARE
    v_value pg_catalog.jsonb;
    v_redacted pg_catalog.jsonb;
    v_json pg_catalog.text;
    v_text pg_catalog.text;
BEGIN
    v_value := NEW.metadata;
    v_json := v_value::pg_catalog.text;
    -- The first test: an '@', a phone-like key, or the tail of a phone number
    -- JSON without any of them cannot hold PII.
    IF v_json IS NULL
       OR v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          AND v_json !~ ('[0-9](?:[ ()\-/]{0,2}[0-9]){6}(?![0-9A-Za-z_\-])'
                         '|\+[0-9](?:[ ().\-/]{0,2}[0-9]){6}'
                         '|[0-9]{3}[ .\-][0-9]{4}(?![0-9A-Za-z_\-])') THEN
        RETURN NEW;
    END IF;
    IF v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")' THEN
        -- A second test for what the tail test leaves: a fraction joined to a
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
    v_redacted := dbguard.redact_pii(v_value);
    IF v_redacted IS NOT DISTINCT FROM v_value THEN
        RETURN NEW;
    END IF;

{%- if mode == 'correct' %}
    NEW.metadata := v_redacted;
{%- else %}
    PERFORM dbguard.rule_violation('pii_redaction', '{{ mode }}', '23Q01', 'pii_in_metadata',
        'appointment', NEW.id::pg_catalog.text,
        pg_catalog.format('dbguard: %s.%s row %s: %s contains e-mail addresses or phone numbers',
                          TG_TABLE_SCHEMA, TG_TABLE_NAME, NEW.id, 'metadata'),
        'raw provider payloads must not keep personal data',
        pg_catalog.format('Store the payload through dbguard.redact_pii(...), or switch rule pii_redaction to correct '
                          '(dbguard rules set-mode pii_redaction correct) to redact on write.'),
        pg_catalog.jsonb_build_object('table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'column', 'metadata', 'row_id', NEW.id),
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'metadata');
{%- endif %}
    RETURN NEW;
END
-- fragment: appointment_events before row 150
-- insert:
-- update of: details
DECLARE
    v_value pg_catalog.jsonb;
    v_redacted pg_catalog.jsonb;
    v_json pg_catalog.text;
    v_text pg_catalog.text;
BEGIN
    v_value := NEW.details;
    v_json := v_value::pg_catalog.text;
    -- The first test: an '@', a phone-like key, or the tail of a phone number
    -- JSON without any of them cannot hold PII.
    IF v_json IS NULL
       OR v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          AND v_json !~ ('[0-9](?:[ ()\-/]{0,2}[0-9]){6}(?![0-9A-Za-z_\-])'
                         '|\+[0-9](?:[ ().\-/]{0,2}[0-9]){6}'
                         '|[0-9]{3}[ .\-][0-9]{4}(?![0-9A-Za-z_\-])') THEN
        RETURN NEW;
    END IF;
    IF v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")' THEN
        -- A second test for what the tail test leaves: a fraction joined to a
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
    v_redacted := dbguard.redact_pii(v_value);
    IF v_redacted IS NOT DISTINCT FROM v_value THEN
        RETURN NEW;
    END IF;

{%- if mode == 'correct' %}
    NEW.details := v_redacted;
{%- else %}
    PERFORM dbguard.rule_violation('pii_redaction', '{{ mode }}', '23Q01', 'pii_in_metadata',
        'appointment_event', NEW.id::pg_catalog.text,
        pg_catalog.format('dbguard: %s.%s row %s: %s contains e-mail addresses or phone numbers',
                          TG_TABLE_SCHEMA, TG_TABLE_NAME, NEW.id, 'details'),
        'raw provider payloads must not keep personal data',
        pg_catalog.format('Store the payload through dbguard.redact_pii(...), or switch rule pii_redaction to correct '
                          '(dbguard rules set-mode pii_redaction correct) to redact on write.'),
        pg_catalog.jsonb_build_object('table', TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'column', 'details', 'row_id', NEW.id),
        TG_TABLE_SCHEMA || '.' || TG_TABLE_NAME, 'details');
{%- endif %}
    RETURN NEW;
END
