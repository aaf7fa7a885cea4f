-- rule: host_staff_assignment
-- version: 3
-- tables: appointments
-- timing: before insert or update of calcom_host_id, company_id on appointments
-- guarantees: an appointment that gets a calcom_host_id and has no staff_id gets the staff of the host's active mapping in its company.
-- modes: off: nothing; alert: the assignable appointment is alerted (unassigned_staff); correct and enforce: staff_id is assigned, silently.

-- Fills staff_id from the active host mapping (dbguard.active_host_mapping:
-- mapping and staff active, staff of the appointment's company). A given
-- staff_id always wins: the rule only runs while staff_id is NULL.
-- alert: only reports the assignable appointment; correct and enforce assign
-- (silently: a derived value, nothing to refuse).

-- fragment: appointments before row 450
-- insert when: NEW.calcom_host_id IS NOT NULL AND NEW.staff_id IS NULL
-- update of: calcom_host_id, company_id
-- update when: NEW.calcom_host_id IS NOT NULL AND NEW.staff_id IS NULL
DECLARE
    v_mapping  record;
BEGIN
    IF NEW.company_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT m.id, m.staff_id INTO v_mapping FROM public.calcom_host_mappings m
     WHERE m.id = dbguard.active_host_mapping(NEW.company_id, NEW.calcom_host_id);
    IF NOT FOUND THEN
        RETURN NEW;
    END IF;
{%- if mode == 'alert' %}
    PERFORM dbguard.raise_alert(
        'unassigned_staff', 'info', 'appointment', NEW.id::pg_catalog.text,
        pg_catalog.format('appointment %s has calendar host %s, mapped to staff %s (mapping %s), but no staff_id',
                          NEW.id, NEW.calcom_host_id, v_mapping.staff_id, v_mapping.id),
        pg_catalog.jsonb_build_object('calcom_host_id', NEW.calcom_host_id, 'mapping_id', v_mapping.id,
                                      'staff_id', v_mapping.staff_id, 'company_id', NEW.company_id),
        'trigger', false, 'host_staff_assignment');
{%- else %}
    NEW.staff_id := v_mapping.staff_id;
{%- endif %}
    RETURN NEW;
END
