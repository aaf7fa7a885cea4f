-- Records an alert and announces it on the 'dbguard_alerts' channel.
-- SECURITY DEFINER: the only way for application sessions (whose triggers
-- call this) to write alerts; they have no INSERT on the table itself.
-- A scan does not duplicate an alert that is still open for the same entity.
-- v3: the notification stays under pg_notify's 8000-byte payload limit (a
-- description quoting an oversized value made the write itself fail).
CREATE OR REPLACE FUNCTION dbguard.raise_alert(
    p_alert_type      text,
    p_severity        text,
    p_entity_type     text,
    p_entity_id       text,
    p_description     text,
    p_details         jsonb DEFAULT '{}'::jsonb,
    p_detected_by     text DEFAULT 'trigger',
    p_auto_corrected  boolean DEFAULT false,
    p_rule            text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = ''
AS $$
DECLARE
    v_id      bigint;
    v_payload jsonb;
BEGIN
    -- entity_id = ... / IS NULL (not IS NOT DISTINCT FROM, which no index can
    -- serve): a scan raising 100 000 alerts must not read the table each time.
    IF p_detected_by = 'scan' AND p_entity_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM dbguard.data_consistency_alerts a
         WHERE a.entity_type = p_entity_type AND a.entity_id = p_entity_id
           AND a.alert_type = p_alert_type AND a.resolved_at IS NULL) THEN
        RETURN NULL;
    END IF;
    IF p_detected_by = 'scan' AND p_entity_id IS NULL AND EXISTS (
        SELECT 1 FROM dbguard.data_consistency_alerts a
         WHERE a.entity_type = p_entity_type AND a.entity_id IS NULL
           AND a.alert_type = p_alert_type AND a.resolved_at IS NULL) THEN
        RETURN NULL;
    END IF;

    INSERT INTO dbguard.data_consistency_alerts
        (alert_type, severity, entity_type, entity_id, description, details, detected_by, auto_corrected, rule)
    VALUES (p_alert_type, p_severity, p_entity_type, p_entity_id, p_description,
            coalesce(p_details, '{}'::jsonb), p_detected_by, coalesce(p_auto_corrected, false), p_rule)
    ON CONFLICT (alert_type, entity_type, entity_id) WHERE resolved_at IS NULL AND detected_by = 'scan'
    DO NOTHING
    RETURNING id INTO v_id;

    IF v_id IS NOT NULL THEN
        v_payload := pg_catalog.jsonb_build_object(
            'id', v_id, 'alert_type', p_alert_type, 'severity', p_severity,
            'entity_type', p_entity_type, 'entity_id', p_entity_id,
            'description', p_description, 'auto_corrected', coalesce(p_auto_corrected, false),
            'detected_by', p_detected_by, 'rule', p_rule);
        -- Listeners read the whole alert from the table by id; the payload is a summary.
        IF pg_catalog.octet_length(v_payload::text) > 7000 THEN
            v_payload := v_payload || pg_catalog.jsonb_build_object(
                'description', pg_catalog.left(p_description, 200) || '…', 'truncated', true);
        END IF;
        IF pg_catalog.octet_length(v_payload::text) > 7000 THEN
            v_payload := pg_catalog.jsonb_build_object('id', v_id, 'truncated', true);
        END IF;
        PERFORM pg_catalog.pg_notify('dbguard_alerts', v_payload::text);
    END IF;
    RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION dbguard.raise_alert(text, text, text, text, text, jsonb, text, boolean, text) FROM PUBLIC;
