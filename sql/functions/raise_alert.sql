-- Records an alert and announces it on the 'dbguard_alerts' channel.
-- SECURITY DEFINER, executable by the owner only: the rules (running as the
-- owner) and the owner's scans write alerts; an application role can neither
-- write the table nor call this, so it cannot forge an alert -- in particular
-- not an open 'scan' alert that would hide a real one from dbguard check.
-- A scan does not duplicate an alert that is still open for the same entity.
-- LISTEN needs no privilege (docs/security.md), so the notification
-- carries no written value: id, type, severity, entity, who detected it and
-- whether it was corrected; listeners read the rest from the table with their
-- own privileges (dbguard watch does). Bounded: a description is kept to 2000
-- characters, details over 64 kB of JSON text become a note of their size.
CREATE OR REPLACE FUNCTION dbguard.raise_alert(
    p_alert_type      pg_catalog.text,
    p_severity        pg_catalog.text,
    p_entity_type     pg_catalog.text,
    p_entity_id       pg_catalog.text,
    p_description     pg_catalog.text,
    p_details         pg_catalog.jsonb DEFAULT '{}'::pg_catalog.jsonb,
    p_detected_by     pg_catalog.text DEFAULT 'trigger',
    p_auto_corrected  pg_catalog.bool DEFAULT false,
    p_rule            pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.int8
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_id      pg_catalog.int8;
    v_details pg_catalog.jsonb := coalesce(p_details, '{}'::pg_catalog.jsonb);
    v_size    pg_catalog.int4;
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
    v_size := pg_catalog.octet_length(v_details::pg_catalog.text);
    IF v_size > 65536 THEN
        v_details := pg_catalog.jsonb_build_object('dbguard_truncated', true, 'original_bytes', v_size);
    END IF;

    INSERT INTO dbguard.data_consistency_alerts
        (alert_type, severity, entity_type, entity_id, description, details, detected_by, auto_corrected, rule)
    VALUES (p_alert_type, p_severity, p_entity_type, p_entity_id,
            CASE WHEN pg_catalog.length(p_description) > 2000
                 THEN pg_catalog.left(p_description, 2000) || '…' ELSE p_description END,
            v_details, p_detected_by, coalesce(p_auto_corrected, false), p_rule)
    ON CONFLICT (alert_type, entity_type, entity_id) WHERE resolved_at IS NULL AND detected_by = 'scan'
    DO NOTHING
    RETURNING id INTO v_id;

    IF v_id IS NOT NULL THEN
        PERFORM pg_catalog.pg_notify('dbguard_alerts', pg_catalog.jsonb_build_object(
            'id', v_id, 'alert_type', pg_catalog.left(p_alert_type, 200), 'severity', p_severity,
            'entity_type', pg_catalog.left(p_entity_type, 200), 'entity_id', pg_catalog.left(p_entity_id, 200),
            'auto_corrected', coalesce(p_auto_corrected, false), 'detected_by', p_detected_by,
            'rule', pg_catalog.left(p_rule, 200))::pg_catalog.text);
    END IF;
    RETURN v_id;
END
$$;
REVOKE ALL ON FUNCTION dbguard.raise_alert(text, text, text, text, text, jsonb, text, boolean, text) FROM PUBLIC;
