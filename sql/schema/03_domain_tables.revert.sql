ALTER TABLE public.calls
    ALTER COLUMN customer_link_status DROP DEFAULT,
    ALTER COLUMN appointment_link_status DROP DEFAULT;
ALTER TABLE public.appointments ALTER COLUMN status_changed_at DROP DEFAULT;
-- Drops only the tables dbguard created, and only while they are empty: a
-- rollback never loses domain rows. Columns dbguard added to tables it found
-- stay (dropping them could lose data written since); see docs/migrations.md.
DO $$
DECLARE
    v_table text;
    v_has_rows boolean;
BEGIN
    FOREACH v_table IN ARRAY ARRAY['appointment_events', 'calcom_host_mapping_audits', 'calcom_host_mappings',
                                   'appointments', 'calls', 'leads', 'services', 'staff', 'customers',
                                   'users', 'branches', 'companies'] LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM dbguard.owned_tables o WHERE o.table_name = 'public.' || v_table)
                   OR pg_catalog.to_regclass('public.' || v_table) IS NULL;
        EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM public.%I)', v_table) INTO v_has_rows;
        IF v_has_rows THEN
            RAISE EXCEPTION 'dbguard: not dropping public.%: it has rows', v_table
                USING DETAIL = 'dbguard created this table, but a rollback never deletes domain rows.',
                      HINT = 'Move or delete the rows yourself if you really mean to remove the table, then roll back again.';
        END IF;
        EXECUTE pg_catalog.format('DROP TABLE public.%I', v_table);
        DELETE FROM dbguard.owned_tables WHERE table_name = 'public.' || v_table;
    END LOOP;
END
$$;
