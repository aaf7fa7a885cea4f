-- rule: staff_tenant_isolation
-- version: 3
-- tables: appointments, calcom_host_mappings
-- timing: before insert or update of staff_id, company_id (and calcom_host_id / is_active) on appointments and calcom_host_mappings
-- guarantees: the staff of an appointment, and of a calendar host mapping, belong to the appointment's / host's company.
-- modes: off: nothing; alert: a cross-tenant staff is alerted (cross_tenant_staff) and kept; correct: an appointment loses the foreign staff_id, a mapping is deactivated, both alerted; enforce: refused (23Q04).

-- Checks the company of the staff assigned to an appointment or a host
-- mapping. One fragment per table, the same code: the guarantee is the same. A mapping without company_id takes its staff's company (silent
-- derived value). Checked only when both companies are known; NULL on either
-- side is left to the cross_tenant_staff scan.
-- correct: an appointment loses the foreign staff_id; a mapping is
-- deactivated (never used again, kept for the audit trail). Both alerted.
-- On appointments calcom_host_id is watched too, because host_staff_assignment
-- (450) may fill staff_id in an UPDATE that never names staff_id; on mappings,
-- is_active: re-activating a deactivated foreign mapping is checked again.

-- fragment: appointments before row 500
-- insert when: NEW.staff_id IS NOT NULL
-- update of: staff_id, company_id, calcom_host_id
-- update when: NEW.staff_id IS NOT NULL
DECLARE
    v_mode           constant pg_catalog.text := '{{ mode }}';
    v_staff_id       pg_catalog.uuid := NEW.staff_id;
    v_staff_company  bigint;
    v_is_mapping     constant boolean := false;
    v_fix            pg_catalog.text;
BEGIN
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
            NULL;  -- not a mapping
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
-- fragment: calcom_host_mappings before row 500
-- insert when: NEW.staff_id IS NOT NULL
-- update of: staff_id, company_id, is_active
-- update when: NEW.staff_id IS NOT NULL
DECLARE
    v_mode           constant pg_catalog.text := '{{ mode }}';
    v_staff_id       pg_catalog.uuid := NEW.staff_id;
    v_staff_company  bigint;
    v_is_mapping     constant boolean := true;
    v_fix            pg_catalog.text;
BEGIN
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
            NEW.is_active := false;
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
