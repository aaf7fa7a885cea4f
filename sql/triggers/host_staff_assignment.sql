-- rule: host_staff_assignment
-- version: 2
-- function: dbguard.tg_appointments__host_staff_assignment()
-- guarantees: an appointment that gets a calcom_host_id and has no staff_id gets the staff of the host's active mapping in its company.

-- Fills staff_id from the active host mapping (dbguard.active_host_mapping:
-- mapping and staff active, staff of the appointment's company). A given
-- staff_id always wins: the trigger only fires while staff_id is NULL.
-- alert: only reports the assignable appointment; correct and enforce assign
-- (silently: a derived value, nothing to refuse).
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__host_staff_assignment()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode     text := dbguard.rule_mode('host_staff_assignment');
    v_mapping  record;
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__host_staff_assignment() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF v_mode = 'off' OR NEW.company_id IS NULL
       OR (TG_OP = 'UPDATE' AND (NEW.calcom_host_id, NEW.company_id) IS NOT DISTINCT FROM (OLD.calcom_host_id, OLD.company_id)) THEN
        RETURN NEW;
    END IF;
    SELECT m.id, m.staff_id INTO v_mapping FROM public.calcom_host_mappings m
     WHERE m.id = dbguard.active_host_mapping(NEW.company_id, NEW.calcom_host_id);
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
    IF v_mode = 'alert' THEN
        PERFORM dbguard.raise_alert(
            'unassigned_staff', 'info', 'appointment', NEW.id::text,
            pg_catalog.format('appointment %s has calendar host %s, mapped to staff %s (mapping %s), but no staff_id',
                              NEW.id, NEW.calcom_host_id, v_mapping.staff_id, v_mapping.id),
            pg_catalog.jsonb_build_object('calcom_host_id', NEW.calcom_host_id, 'mapping_id', v_mapping.id,
                                          'staff_id', v_mapping.staff_id, 'company_id', NEW.company_id),
            'trigger', false, 'host_staff_assignment');
    ELSE
        NEW.staff_id := v_mapping.staff_id;
    END IF;
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_appointments__host_staff_assignment() FROM PUBLIC;

CREATE OR REPLACE TRIGGER dbguard_450_host_staff_assignment
    BEFORE INSERT OR UPDATE OF calcom_host_id, company_id ON public.appointments
    FOR EACH ROW
    WHEN (NEW.calcom_host_id IS NOT NULL AND NEW.staff_id IS NULL)
    EXECUTE FUNCTION dbguard.tg_appointments__host_staff_assignment();
