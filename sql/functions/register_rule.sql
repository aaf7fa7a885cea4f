-- Records that a rule version is installed: called by dbguard migrate after the rule's file.
-- A first install also creates the rule's settings row (mode 'correct');
-- an upgrade or downgrade keeps the mode the DBA chose.
-- Also records the triggers that use the function, so that dropping one
-- trigger of a rule that has several is reported as drift.
-- The rule's function is made SECURITY DEFINER with search_path
-- pg_catalog, pg_temp and no EXECUTE for PUBLIC (dbguard.secure_function)
-- before its fingerprint is taken, whatever the rule file says: the privilege
-- model holds for every rule version, and the fingerprint is of what runs.
CREATE OR REPLACE FUNCTION dbguard.register_rule(
    p_rule          text,
    p_version       integer,
    p_function      regprocedure,
    p_source_sha256 text,
    p_description   text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    PERFORM dbguard.secure_function(p_function, true);
    INSERT INTO dbguard.installed_rules AS r
        (rule, version, function_name, definition_md5, source_sha256, description, triggers)
    VALUES (p_rule, p_version, p_function::pg_catalog.text, dbguard.function_fingerprint(p_function),
            p_source_sha256, p_description, dbguard.rule_triggers(p_function))
    ON CONFLICT (rule) DO UPDATE
       SET version = EXCLUDED.version,
           function_name = EXCLUDED.function_name,
           definition_md5 = EXCLUDED.definition_md5,
           source_sha256 = EXCLUDED.source_sha256,
           description = EXCLUDED.description,
           triggers = EXCLUDED.triggers,
           installed_at = pg_catalog.now();

    INSERT INTO dbguard.rule_settings (rule) VALUES (p_rule)
    ON CONFLICT (rule) DO NOTHING;
END
$$;
REVOKE ALL ON FUNCTION dbguard.register_rule(text, integer, regprocedure, text, text) FROM PUBLIC;
