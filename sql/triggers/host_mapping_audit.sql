-- rule: host_mapping_audit
-- version: 3
-- function: dbguard.tg_calcom_host_mappings__audit()
-- guarantees: every insert, update, delete and truncate of a calendar host mapping leaves an audit row (action, old/new values, changed_by, reason, actor) that survives the mapping.

-- Writes the audit trail of calcom_host_mappings. SECURITY DEFINER: the
-- application role has no INSERT on calcom_host_mapping_audits, so the trail
-- can only be written here. Action: 'auto_matched' for a mapping the resolver
-- created (it marks its writes with the internal setting dbguard.resolver),
-- 'manual_override' for an insert/update while dbguard.actor = 'admin_user',
-- otherwise 'created' / 'updated' / 'deleted'. An update that changes nothing
-- but updated_at/last_synced_at is not a change of the mapping: no row.
-- Modes: off writes nothing; alert also alerts on a change nobody is
-- attributed to (no dbguard.user_id, actor, or resolver); correct records it
-- with the session's database role only; enforce refuses it.
CREATE OR REPLACE FUNCTION dbguard.tg_calcom_host_mappings__audit()
RETURNS trigger
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c_sync_only constant pg_catalog.text[] := ARRAY['updated_at', 'last_synced_at'];
    v_mode      pg_catalog.text := '{{ mode }}';
    v_resolver  pg_catalog.text := dbguard.acting('resolver');
    v_actor     pg_catalog.text := dbguard.acting('actor');
    v_user_id   bigint;
    v_reason    pg_catalog.text;
    v_row       pg_catalog.jsonb;
    v_old       pg_catalog.jsonb;
    v_new       pg_catalog.jsonb;
    v_action    pg_catalog.text;
BEGIN
    -- Runs as its owner: only on the table(s) it was written for.
    IF TG_RELID <> 'public.calcom_host_mappings'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_calcom_host_mappings__audit() is a trigger of public.calcom_host_mappings only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF v_resolver IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM dbguard.resolver_writes w
             WHERE w.backend_pid = pg_catalog.pg_backend_pid() AND w.xact = pg_catalog.txid_current()) THEN
        v_resolver := NULL;
    END IF;
    v_user_id := dbguard.acting_user_id();
    v_reason := coalesce(dbguard.acting('reason'), v_resolver);
    IF TG_OP <> 'INSERT' AND TG_OP <> 'TRUNCATE' THEN
        v_old := pg_catalog.to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_new := pg_catalog.to_jsonb(NEW);
    END IF;
    IF TG_OP = 'UPDATE' AND (v_old - c_sync_only) = (v_new - c_sync_only) THEN
        RETURN NULL;
    END IF;
    v_row := coalesce(v_new, v_old);

    IF v_resolver IS NULL AND v_actor IS NULL AND v_user_id IS NULL AND v_mode <> 'correct' THEN
        IF v_mode = 'enforce' THEN
            RAISE EXCEPTION 'dbguard: % on public.calcom_host_mappings% without saying who acts',
                            TG_OP, coalesce(' row ' || (v_row ->> 'id'), '')
                USING ERRCODE = '23Q01',
                      DETAIL = 'Rule host_mapping_audit runs in enforce mode: every change of a host mapping must be attributed.',
                      HINT = 'SET LOCAL dbguard.user_id = ''<users.id>'' (and dbguard.actor, dbguard.reason) in the same '
                             'transaction, or use dbguard.acting(conn, user_id=..., actor=..., reason=...) in Python.',
                      TABLE = 'calcom_host_mappings';
        END IF;
        PERFORM dbguard.raise_alert(
            'unattributed_host_mapping_change', 'warning', 'calcom_host_mapping', v_row ->> 'id',
            pg_catalog.format('%s on host mapping %s without dbguard.user_id or dbguard.actor (database role %s)',
                              TG_OP, coalesce(v_row ->> 'id', '(all rows)'), session_user),
            pg_catalog.jsonb_build_object('operation', TG_OP, 'db_user', session_user),
            'trigger', false, 'host_mapping_audit');
    END IF;

    IF TG_OP = 'TRUNCATE' THEN
        -- TRUNCATE fires no row triggers; this statement trigger runs before it, while the rows are still there.
        INSERT INTO public.calcom_host_mapping_audits
            (mapping_id, action, old_values, new_values, changed_by, reason, actor, db_user)
        SELECT m.id, 'deleted', pg_catalog.to_jsonb(m), NULL, v_user_id, coalesce(v_reason, 'TRUNCATE'), v_actor, session_user
          FROM public.calcom_host_mappings m;
        RETURN NULL;
    END IF;

    v_action := CASE
        WHEN TG_OP = 'DELETE' THEN 'deleted'
        WHEN v_resolver IS NOT NULL THEN CASE TG_OP WHEN 'INSERT' THEN 'auto_matched' ELSE 'updated' END
        WHEN v_actor = 'admin_user' THEN 'manual_override'
        WHEN TG_OP = 'INSERT' THEN 'created'
        ELSE 'updated'
    END;
    INSERT INTO public.calcom_host_mapping_audits
        (mapping_id, action, old_values, new_values, changed_by, reason, actor, db_user)
    VALUES ((v_row ->> 'id')::bigint, v_action, v_old, v_new, v_user_id, v_reason, v_actor, session_user);
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_calcom_host_mappings__audit() FROM PUBLIC;

CREATE OR REPLACE TRIGGER dbguard_800_host_mapping_audit
    AFTER INSERT OR UPDATE OR DELETE ON public.calcom_host_mappings
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_calcom_host_mappings__audit();

CREATE OR REPLACE TRIGGER dbguard_800_host_mapping_audit_truncate
    BEFORE TRUNCATE ON public.calcom_host_mappings
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_calcom_host_mappings__audit();
