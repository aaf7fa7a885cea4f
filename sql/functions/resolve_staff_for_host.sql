-- Maps a calendar host of a provider booking to a staff member of the given
-- company: its active mapping (re-validated: mapping and staff active, staff
-- still of this company) -> exactly one active staff with the host's e-mail
-- (confidence 95, 'auto_email') -> exactly one with its full name, ignoring
-- case and spacing (75, 'auto_name'). A match is cached as a new mapping,
-- audited 'auto_matched' by host_mapping_audit. NULL when nothing matches.
--
-- p_branch_id narrows the e-mail/name match to staff of that branch and
-- company-wide staff (branch_id NULL); NULL means the whole company. A
-- cached mapping is a fact about the person and is used for every branch.
--
-- SECURITY DEFINER (docs/security.md), executable by the owner and the
-- application role (dbguard roles grants it): it raises alerts and calls
-- helpers that only the owner may execute; it reads and writes only what the
-- application role may read and write itself (staff, calcom_host_mappings),
-- and row-level security on those tables does not apply to the owner. Types
-- are pg_catalog's by name. Its writes are marked in dbguard.resolver_writes
-- (and the dbguard.resolver setting, which carries the reason): the mapping
-- audit believes the setting only with the row. Concurrent callers resolving the same new host meet on the
-- unique (calcom_host_id, staff_id) key: one inserts, the others wait for it
-- and then read its mapping.
CREATE OR REPLACE FUNCTION dbguard.resolve_staff_for_host(p_company_id pg_catalog.int8, p_branch_id pg_catalog.uuid,
                                                          p_host pg_catalog.jsonb)
RETURNS pg_catalog.uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_host        record;
    v_cached      public.calcom_host_mappings;
    v_stale       record;
    v_source      pg_catalog.text;
    v_count       integer;
    v_staff_id    pg_catalog.uuid;
    v_ambiguous   pg_catalog.jsonb := '{}'::pg_catalog.jsonb;
BEGIN
    IF p_host IS NULL THEN
        RETURN NULL;
    END IF;
    IF p_company_id IS NULL THEN
        RAISE EXCEPTION 'dbguard: resolve_staff_for_host needs a company_id'
            USING ERRCODE = '22023',
                  HINT = 'Pass the company of the booking: a host is only ever matched to staff of that company.';
    END IF;
    SELECT * INTO v_host FROM dbguard.calcom_host_fields(p_host);

    SELECT m.* INTO v_cached FROM public.calcom_host_mappings m
     WHERE m.id = dbguard.active_host_mapping(p_company_id, v_host.host_id);
    IF FOUND THEN
        -- Keep the cached host details current; a lookup alone writes nothing.
        IF (coalesce(v_host.email, v_cached.calcom_email), coalesce(v_host.name, v_cached.calcom_name),
            coalesce(v_host.username, v_cached.calcom_username), coalesce(v_host.timezone, v_cached.calcom_timezone))
           IS DISTINCT FROM
           (v_cached.calcom_email, v_cached.calcom_name, v_cached.calcom_username, v_cached.calcom_timezone) THEN
            INSERT INTO dbguard.resolver_writes (backend_pid, xact)
            VALUES (pg_catalog.pg_backend_pid(), pg_catalog.txid_current()) ON CONFLICT DO NOTHING;
            PERFORM pg_catalog.set_config('dbguard.resolver', 'host details changed at the calendar provider', true);
            UPDATE public.calcom_host_mappings m
               SET calcom_email = coalesce(v_host.email, m.calcom_email),
                   calcom_name = coalesce(v_host.name, m.calcom_name),
                   calcom_username = coalesce(v_host.username, m.calcom_username),
                   calcom_timezone = coalesce(v_host.timezone, m.calcom_timezone),
                   last_synced_at = pg_catalog.now(),
                   updated_at = pg_catalog.now()
             WHERE m.id = v_cached.id;
            PERFORM pg_catalog.set_config('dbguard.resolver', '', true);
            DELETE FROM dbguard.resolver_writes w
             WHERE w.backend_pid = pg_catalog.pg_backend_pid() AND w.xact = pg_catalog.txid_current();
        END IF;
        RETURN v_cached.staff_id;
    END IF;

    -- Active mappings of this company's host that can no longer be used.
    FOR v_stale IN
        SELECT m.id, m.staff_id, s.company_id AS staff_company_id, s.is_active AS staff_is_active
          FROM public.calcom_host_mappings m
          JOIN public.staff s ON s.id = m.staff_id
         WHERE m.calcom_host_id = v_host.host_id
           AND m.is_active
           AND coalesce(m.company_id, s.company_id) = p_company_id
           AND (NOT s.is_active OR s.company_id IS DISTINCT FROM p_company_id)
    LOOP
        PERFORM dbguard.raise_alert(
            'stale_host_mapping', 'warning', 'calcom_host_mapping', v_stale.id::pg_catalog.text,
            pg_catalog.format('host mapping %s (calendar host %s) points to staff %s, which is %s; not used',
                              v_stale.id, v_host.host_id, v_stale.staff_id,
                              CASE WHEN NOT v_stale.staff_is_active THEN 'inactive'
                                   ELSE 'staff of company ' || coalesce(v_stale.staff_company_id::pg_catalog.text, '(none)') END),
            pg_catalog.jsonb_build_object('mapping_id', v_stale.id, 'calcom_host_id', v_host.host_id,
                                          'staff_id', v_stale.staff_id, 'staff_company_id', v_stale.staff_company_id,
                                          'staff_is_active', v_stale.staff_is_active, 'company_id', p_company_id,
                                          'detected_in', 'dbguard.resolve_staff_for_host'),
            'trigger', false, NULL);
    END LOOP;

    FOREACH v_source IN ARRAY ARRAY['auto_email', 'auto_name'] LOOP
        CONTINUE WHEN (CASE v_source WHEN 'auto_email' THEN v_host.email ELSE v_host.name END) IS NULL;
        SELECT count(*)::integer, (pg_catalog.array_agg(s.id))[1]
          INTO v_count, v_staff_id
          FROM public.staff s
         WHERE s.company_id = p_company_id
           AND s.is_active
           AND (p_branch_id IS NULL OR s.branch_id IS NULL OR s.branch_id = p_branch_id)
           AND CASE v_source
                   WHEN 'auto_email' THEN pg_catalog.lower(pg_catalog.btrim(s.email)) = pg_catalog.lower(v_host.email)
                   ELSE pg_catalog.lower(pg_catalog.regexp_replace(pg_catalog.btrim(s.name), '\s+', ' ', 'g'))
                      = pg_catalog.lower(pg_catalog.regexp_replace(v_host.name, '\s+', ' ', 'g'))
               END
           -- A pair someone deactivated is a decision, not a gap to fill again.
           AND NOT EXISTS (SELECT 1 FROM public.calcom_host_mappings m
                            WHERE m.calcom_host_id = v_host.host_id AND m.staff_id = s.id AND NOT m.is_active);
        IF v_count = 1 THEN
            INSERT INTO dbguard.resolver_writes (backend_pid, xact)
            VALUES (pg_catalog.pg_backend_pid(), pg_catalog.txid_current()) ON CONFLICT DO NOTHING;
            PERFORM pg_catalog.set_config('dbguard.resolver',
                pg_catalog.format('%s: calendar host %s matched by %s', v_source, v_host.host_id,
                                  CASE v_source WHEN 'auto_email' THEN 'e-mail' ELSE 'full name' END), true);
            INSERT INTO public.calcom_host_mappings
                (company_id, staff_id, calcom_host_id, calcom_name, calcom_email, calcom_username, calcom_timezone,
                 mapping_source, confidence_score, last_synced_at, is_active, metadata)
            VALUES (p_company_id, v_staff_id, v_host.host_id, v_host.name, v_host.email, v_host.username,
                    v_host.timezone, v_source, CASE v_source WHEN 'auto_email' THEN 95 ELSE 75 END,
                    pg_catalog.now(), true,
                    pg_catalog.jsonb_build_object('matched_by', 'dbguard.resolve_staff_for_host',
                                                  'branch_id', p_branch_id))
            ON CONFLICT (calcom_host_id, staff_id) DO NOTHING;
            PERFORM pg_catalog.set_config('dbguard.resolver', '', true);
            DELETE FROM dbguard.resolver_writes w
             WHERE w.backend_pid = pg_catalog.pg_backend_pid() AND w.xact = pg_catalog.txid_current();
            -- Ours, or the one a concurrent caller committed first (a new snapshot sees it).
            RETURN (SELECT m.staff_id FROM public.calcom_host_mappings m
                     WHERE m.id = dbguard.active_host_mapping(p_company_id, v_host.host_id));
        ELSIF v_count > 1 THEN
            v_ambiguous := v_ambiguous || pg_catalog.jsonb_build_object(v_source, v_count);
        END IF;
    END LOOP;

    IF v_ambiguous <> '{}'::pg_catalog.jsonb THEN
        PERFORM dbguard.raise_alert(
            'ambiguous_host_match', 'warning', 'calcom_host', v_host.host_id::pg_catalog.text,
            pg_catalog.format('calendar host %s matches several staff of company %s; map it by hand',
                              v_host.host_id, p_company_id),
            pg_catalog.jsonb_build_object('company_id', p_company_id, 'branch_id', p_branch_id,
                                          'calcom_host_id', v_host.host_id, 'candidates', v_ambiguous,
                                          'detected_in', 'dbguard.resolve_staff_for_host'),
            'trigger', false, NULL);
    END IF;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION dbguard.resolve_staff_for_host(bigint, uuid, jsonb) FROM PUBLIC;
