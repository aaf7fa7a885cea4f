-- dbguard's privilege model (docs/security.md), applied to every function that
-- exists now; later versions carry it themselves (rule versions through
-- dbguard.register_rule, function files in their own text).
--  * search_path = pg_catalog, pg_temp on every function, the temporary schema
--    explicitly last: an empty search_path still searches pg_temp first for
--    types and relations, which a session can fill with its own. The four
--    functions the planner inlines (no SET clause allowed) name only pg_catalog
--    objects instead.
--  * No function executable by PUBLIC. `dbguard roles --app-role` grants the
--    client API (contract §2) to the application role.
--  * Rule trigger functions, and the client functions that write alerts or
--    review entries (resolve_staff_for_host, assign_staff_from_booking,
--    rollback_booking_flags), run as their owner (SECURITY DEFINER): the
--    application role cannot write alerts, history, audits or the review queue
--    itself, and cannot execute the helpers that do.
DO $$
DECLARE
    f record;
BEGIN
    FOR f IN
        SELECT p.oid::pg_catalog.regprocedure AS fn,
               (p.oid IN (SELECT r.function_name::pg_catalog.regprocedure FROM dbguard.installed_rules r)
                OR p.proname IN ('resolve_staff_for_host', 'assign_staff_from_booking', 'rollback_booking_flags'))
                   AS definer,
               (n.nspname = 'dbguard'
                AND p.proname IN ('rule_mode', 'in_vocabulary', 'code_is_active', 'mapped_booking_source')) AS inlined
          FROM pg_catalog.pg_proc p
          JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
         WHERE n.nspname IN ('dbguard', 'dbguard_audit')
    LOOP
        IF f.inlined THEN
            EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f.fn);
        ELSE
            PERFORM dbguard.secure_function(f.fn, f.definer);
        END IF;
    END LOOP;
    -- What runs now is what was installed: drift is measured from here.
    UPDATE dbguard.installed_rules r
       SET definition_md5 = dbguard.function_fingerprint(r.function_name::pg_catalog.regprocedure);
END
$$;

-- The generated functions, rewritten by the new generators (qualified types).
SELECT dbguard.write_rule_mode();
SELECT dbguard.write_lookup_functions();
