-- rule: staff_tenant_isolation
-- version: 2
-- function: dbguard.tg_staff__tenant_isolation()
-- guarantees: the staff of an appointment, and of a calendar host mapping, belong to the appointment's / host's company.

-- Checks the company of the staff assigned to an appointment or a host
-- mapping. One function for both tables (TG_TABLE_NAME): the guarantee is the
-- same. A mapping without company_id takes its staff's company (silent
-- derived value). Checked only when both companies are known; NULL on either
-- side is left to the cross_tenant_staff scan.
-- correct: an appointment loses the foreign staff_id; a mapping is
-- deactivated (never used again, kept for the audit trail). Both alerted.
CREATE OR REPLACE FUNCTION dbguard.tg_staff__tenant_isolation()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode           pg_catalog.text := dbguard.rule_mode('staff_tenant_isolation');
    v_staff_id       pg_catalog.uuid := NEW.staff_id;
    v_staff_company  bigint;
    v_is_mapping     boolean := TG_TABLE_NAME = 'calcom_host_mappings';
    v_fix            pg_catalog.text;
BEGIN
    IF TG_RELID NOT IN ('public.appointments'::pg_catalog.regclass, 'public.calcom_host_mappings'::pg_catalog.regclass) THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_staff__tenant_isolation() is a trigger of public.appointments and public.calcom_host_mappings only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF v_mode = 'off' THEN
        RETURN NEW;
    END IF;
    SELECT s.company_id INTO v_staff_company FROM public.staff s WHERE s.id = v_staff_id;
    IF v_is_mapping AND NEW.company_id IS NULL THEN
        NEW.company_id := v_staff_company;
    END IF;
    IF v_staff_company IS NULL OR NEW.company_id IS NULL OR v_staff_company = NEW.company_id THEN
        RETURN NEW;
    END IF;

    IF v_mode = 'enforce' THEN
        RAISE EXCEPTION 'dbguard: public.% row %: staff_id % is staff of company %, not of company %',
                        TG_TABLE_NAME, NEW.id, v_staff_id, v_staff_company, NEW.company_id
            USING ERRCODE = '23Q04',
                  DETAIL = pg_catalog.format('public.%s.company_id = %s; public.staff.company_id = %s for staff %s',
                                             TG_TABLE_NAME, NEW.company_id, v_staff_company, v_staff_id),
                  HINT = 'Assign staff of the same company (public.staff.company_id), or fix the company_id.',
                  SCHEMA = TG_TABLE_SCHEMA, TABLE = TG_TABLE_NAME, COLUMN = 'staff_id';
    END IF;
    IF v_mode = 'correct' THEN
        IF v_is_mapping THEN
            -- Through jsonb: appointments have no is_active, and plpgsql_check
            -- checks every field reference against every table of the trigger.
            NEW := pg_catalog.jsonb_populate_record(NEW, '{"is_active": false}'::pg_catalog.jsonb);
            v_fix := 'mapping deactivated';
        ELSE
            NEW.staff_id := NULL;
            v_fix := 'staff_id cleared';
        END IF;
    END IF;
    PERFORM dbguard.raise_alert(
        'cross_tenant_staff', 'critical',
        CASE WHEN v_is_mapping THEN 'calcom_host_mapping' ELSE 'appointment' END, NEW.id::pg_catalog.text,
        pg_catalog.format('public.%s row %s of company %s has staff %s of company %s%s',
                          TG_TABLE_NAME, NEW.id, NEW.company_id, v_staff_id, v_staff_company,
                          coalesce('; ' || v_fix, '')),
        pg_catalog.jsonb_build_object('table', TG_TABLE_NAME, 'id', NEW.id, 'company_id', NEW.company_id,
                                      'staff_id', v_staff_id, 'staff_company_id', v_staff_company,
                                      'correction', v_fix),
        'trigger', v_mode = 'correct', 'staff_tenant_isolation');
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_staff__tenant_isolation() FROM PUBLIC;

-- calcom_host_id is in the column list because host_staff_assignment (450)
-- may fill staff_id in an UPDATE that never names staff_id.
CREATE OR REPLACE TRIGGER dbguard_500_staff_tenant_isolation
    BEFORE INSERT OR UPDATE OF staff_id, company_id, calcom_host_id ON public.appointments
    FOR EACH ROW
    WHEN (NEW.staff_id IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_staff__tenant_isolation();

-- is_active: re-activating a deactivated foreign mapping is checked again.
CREATE OR REPLACE TRIGGER dbguard_500_staff_tenant_isolation
    BEFORE INSERT OR UPDATE OF staff_id, company_id, is_active ON public.calcom_host_mappings
    FOR EACH ROW
    WHEN (NEW.staff_id IS NOT NULL)
    EXECUTE FUNCTION dbguard.tg_staff__tenant_isolation();
