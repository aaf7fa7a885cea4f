-- Back to the model before 0800: search_path '', rule functions (other than the
-- history and audit triggers, definers from the start) and the client functions
-- running as the caller, and EXECUTE for PUBLIC on what had it.
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::pg_catalog.regprocedure AS fn,
               (p.oid IN (SELECT r.function_name::pg_catalog.regprocedure FROM dbguard.installed_rules r)
                OR p.proname IN ('resolve_staff_for_host', 'assign_staff_from_booking', 'rollback_booking_flags'))
               AND p.proname NOT IN ('tg_appointments__history', 'tg_calcom_host_mappings__audit') AS invoker,
               p.proname IN ('rule_mode', 'in_vocabulary', 'code_is_active', 'mapped_booking_source') AS inlined,
               p.proname IN ('raise_alert', 'enqueue_review', 'breaker_allow', 'breaker_configure', 'breaker_lock',
                             'breaker_log_transition', 'breaker_record_failure', 'breaker_record_success',
                             'breaker_reset', 'secure_function', 'register_rule') AS private
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('dbguard', 'dbguard_audit')
    LOOP
        IF NOT f.inlined THEN
            EXECUTE pg_catalog.format('ALTER FUNCTION %s SET search_path = %L', f.fn, '');
        END IF;
        IF f.invoker THEN
            EXECUTE pg_catalog.format('ALTER FUNCTION %s SECURITY INVOKER', f.fn);
        END IF;
        IF NOT f.private THEN
            EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO PUBLIC', f.fn);
        END IF;
    END LOOP;
    UPDATE dbguard.installed_rules r
       SET definition_md5 = dbguard.function_fingerprint(r.function_name::pg_catalog.regprocedure);
END
$$;
