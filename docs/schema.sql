--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET transaction_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: dbguard; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA dbguard;


--
-- Name: SCHEMA dbguard; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA dbguard IS 'dbguard: rule functions, rule settings, alerts and lookup tables';


--
-- Name: dbguard_audit; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA dbguard_audit;


--
-- Name: SCHEMA dbguard_audit; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA dbguard_audit IS 'dbguard: read-only audit views for analysts';


--
-- Name: public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA public;


--
-- Name: SCHEMA public; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA public IS 'standard public schema';


--
-- Name: acting(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.acting(p_key text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN NULLIF(pg_catalog.current_setting('dbguard.' || p_key, true), '');
END
$$;


--
-- Name: acting_user_id(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.acting_user_id() RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_raw text := dbguard.acting('user_id');
BEGIN
    IF v_raw IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_raw !~ '^\s*[0-9]{1,18}\s*$' THEN
        RAISE EXCEPTION 'dbguard: setting dbguard.user_id must be a user id (an integer), got %', pg_catalog.quote_literal(v_raw)
            USING ERRCODE = '23Q08',
                  HINT = 'SET LOCAL dbguard.user_id = ''42'' (the users.id of whoever acts), or leave it unset.';
    END IF;
    RETURN v_raw::bigint;
END
$_$;


--
-- Name: active_host_mapping(bigint, integer); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.active_host_mapping(p_company_id bigint, p_host_id integer) RETURNS bigint
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT m.id
      FROM public.calcom_host_mappings m
      JOIN public.staff s ON s.id = m.staff_id
     WHERE m.calcom_host_id = p_host_id
       AND m.is_active
       AND s.is_active
       AND s.company_id = p_company_id
       AND (m.company_id IS NULL OR m.company_id = p_company_id)
     ORDER BY coalesce(m.mapping_source IN ('admin', 'manual'), false) DESC,
              m.confidence_score DESC NULLS LAST,
              m.id DESC
     LIMIT 1
$$;


--
-- Name: add_constraint_if_missing(regclass, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.add_constraint_if_missing(p_table regclass, p_name text, p_definition text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c
                WHERE c.conrelid = p_table AND c.conname = p_name) THEN
        RETURN false;
    END IF;
    EXECUTE pg_catalog.format('ALTER TABLE %s ADD CONSTRAINT %I %s', p_table, p_name, p_definition);
    RETURN true;
END
$$;


--
-- Name: apply_rule_triggers(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.apply_rule_triggers(p_rule text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_off boolean := dbguard.compiled_mode(p_rule) = 'off';
    v_definition pg_catalog.text;
    v_table pg_catalog.regclass;
    v_name pg_catalog.text;
BEGIN
    FOR v_definition IN
        SELECT d FROM dbguard.installed_rules r, pg_catalog.unnest(r.trigger_definitions) d WHERE r.rule = p_rule
    LOOP
        -- pg_get_triggerdef: CREATE [CONSTRAINT] TRIGGER <name> <timing> <events> ON <schema.table> ...
        v_name := pg_catalog.substring(v_definition, '^CREATE (?:CONSTRAINT )?TRIGGER (\S+) ');
        v_table := pg_catalog.to_regclass(pg_catalog.substring(v_definition, ' ON (\S+) '));
        CONTINUE WHEN v_name IS NULL OR v_table IS NULL;
        IF NOT v_off THEN
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = v_table AND t.tgname = v_name) THEN
                EXECUTE v_definition;
            END IF;
        ELSIF EXISTS (SELECT 1 FROM pg_catalog.pg_trigger t WHERE t.tgrelid = v_table AND t.tgname = v_name) THEN
            EXECUTE pg_catalog.format('DROP TRIGGER %s ON %s', v_name, v_table);
        END IF;
    END LOOP;
END
$$;


--
-- Name: assert_unique(regclass, text[]); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.assert_unique(p_table regclass, p_columns text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_cols text := (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ') FROM pg_catalog.unnest(p_columns) c);
    v_nonnull text := (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c) || ' IS NOT NULL', ' AND ') FROM pg_catalog.unnest(p_columns) c);
    v_dups bigint;
    v_example text;
BEGIN
    EXECUTE pg_catalog.format(
        'SELECT count(*), min(k::text) FROM (SELECT (%1$s) AS k FROM %2$s WHERE %3$s GROUP BY %1$s HAVING count(*) > 1) d',
        v_cols, p_table, v_nonnull)
    INTO v_dups, v_example;
    IF v_dups > 0 THEN
        RAISE EXCEPTION 'dbguard: %.(%) has % duplicated value(s), e.g. %', p_table, v_cols, v_dups, v_example
            USING ERRCODE = 'unique_violation',
                  DETAIL = 'dbguard makes these columns unique so that replayed provider webhooks cannot create duplicates.',
                  HINT = pg_catalog.format('List them with: SELECT %1$s, count(*) FROM %2$s GROUP BY %1$s HAVING count(*) > 1; merge or clear the duplicates, then run dbguard migrate again.', v_cols, p_table);
    END IF;
END
$_$;


--
-- Name: assign_staff_from_booking(bigint, jsonb); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.assign_staff_from_booking(p_appointment_id bigint, p_booking jsonb) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    c_hint constant pg_catalog.text := 'Pass the booking as the provider returns it: {"hosts": [{"id": 123, "email": ..., "name": ...}, ...]} '
                            'or {"status": "success", "data": {"hosts": [...]}}.';
    v_booking   pg_catalog.jsonb := p_booking;
    v_appt      record;
    v_host      record;
    v_first_id  integer;
    v_staff_id  pg_catalog.uuid;
BEGIN
    IF p_appointment_id IS NULL THEN
        RAISE EXCEPTION 'dbguard: assign_staff_from_booking needs an appointment id' USING ERRCODE = '22023';
    END IF;
    IF pg_catalog.jsonb_typeof(v_booking) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'dbguard: booking must be a JSON object, got %', coalesce(pg_catalog.jsonb_typeof(v_booking), 'SQL NULL')
            USING ERRCODE = '22023', HINT = c_hint;
    END IF;
    IF NOT v_booking ? 'hosts' AND pg_catalog.jsonb_typeof(v_booking -> 'data') = 'object' THEN
        v_booking := v_booking -> 'data';
    END IF;
    IF pg_catalog.jsonb_typeof(v_booking -> 'hosts') IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION 'dbguard: booking "hosts" must be an array, got %',
                        coalesce(pg_catalog.jsonb_typeof(v_booking -> 'hosts'), 'no "hosts" key')
            USING ERRCODE = '22023', HINT = c_hint;
    END IF;

    SELECT a.id, a.company_id, a.branch_id, a.staff_id, a.calcom_host_id INTO v_appt
      FROM public.appointments a WHERE a.id = p_appointment_id
       FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dbguard: appointment % not found', p_appointment_id
            USING ERRCODE = 'P0002', HINT = 'Create the appointment first, then assign its staff from the booking.';
    END IF;
    IF v_appt.staff_id IS NOT NULL THEN
        RETURN v_appt.staff_id;
    END IF;
    IF v_appt.company_id IS NULL THEN
        RAISE EXCEPTION 'dbguard: public.appointments row %: company_id is NULL; hosts are matched to staff of the appointment''s company only',
                        p_appointment_id
            USING ERRCODE = '22023', HINT = 'Set the appointment''s company_id, then assign its staff.';
    END IF;

    -- Every host is parsed (and a malformed one refused) before anything is written.
    FOR v_host IN
        SELECT t.host, t.host_id
          FROM (SELECT h.value AS host, (dbguard.calcom_host_fields(h.value)).host_id AS host_id, h.n
                  FROM pg_catalog.jsonb_array_elements(v_booking -> 'hosts') WITH ORDINALITY AS h(value, n)) t
         ORDER BY t.host_id IS NOT DISTINCT FROM v_appt.calcom_host_id DESC, t.n
    LOOP
        v_first_id := coalesce(v_first_id, v_host.host_id);
        v_staff_id := dbguard.resolve_staff_for_host(v_appt.company_id, v_appt.branch_id, v_host.host);
        IF v_staff_id IS NOT NULL THEN
            UPDATE public.appointments a
               SET staff_id = v_staff_id, calcom_host_id = coalesce(a.calcom_host_id, v_host.host_id)
             WHERE a.id = p_appointment_id;
            -- Rules may have changed what was written (staff_tenant_isolation).
            RETURN (SELECT a.staff_id FROM public.appointments a WHERE a.id = p_appointment_id);
        END IF;
    END LOOP;

    IF v_appt.calcom_host_id IS NULL AND v_first_id IS NOT NULL THEN
        UPDATE public.appointments a SET calcom_host_id = v_first_id WHERE a.id = p_appointment_id;
    END IF;
    RETURN NULL;
END
$$;


--
-- Name: breaker_allow(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_allow(p_key text) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF pg_catalog.length(p_key) > 200 THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker key is at most 200 characters, this one has %', pg_catalog.length(p_key)
            USING ERRCODE = '22001', HINT = 'Name the protected dependency, e.g. ''calcom''.';
    END IF;
    RETURN dbguard.breaker_allow_at(p_key, dbguard.breaker_now(NULL));
END
$$;


--
-- Name: breaker_allow_at(text, timestamp with time zone); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_allow_at(p_key text, p_now timestamp with time zone) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_now pg_catalog.timestamptz := dbguard.breaker_now(p_now);
    v_row dbguard.circuit_breaker_states;
BEGIN
    -- The common case, closed, needs neither the row lock nor a write: every
    -- server would otherwise queue on the key's row for each call. Seeing
    -- 'closed' just as another session opens the breaker is the same as
    -- having called a moment earlier.
    IF EXISTS (SELECT 1 FROM dbguard.circuit_breaker_states s WHERE s.key = p_key AND s.state = 'closed') THEN
        RETURN true;
    END IF;
    v_row := dbguard.breaker_lock(p_key);
    IF v_row.state = 'closed' THEN
        RETURN true;
    ELSIF v_row.state = 'open' THEN
        IF v_now < v_row.opened_at + v_row.cooldown THEN
            RETURN false;
        END IF;
        PERFORM dbguard.breaker_log_transition(p_key, 'open', 'half_open', 'cooldown_elapsed', NULL, v_now);
    ELSIF v_row.trial_started_at IS NOT NULL AND v_now < v_row.trial_started_at + v_row.trial_timeout THEN
        RETURN false;
    END IF;
    UPDATE dbguard.circuit_breaker_states SET trial_started_at = v_now, updated_at = v_now WHERE key = p_key;
    RETURN true;
END
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: circuit_breaker_states; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.circuit_breaker_states (
    key text NOT NULL,
    state text DEFAULT 'closed'::text NOT NULL,
    failure_count integer DEFAULT 0 NOT NULL,
    success_count integer DEFAULT 0 NOT NULL,
    failure_threshold integer DEFAULT 3 NOT NULL,
    success_threshold integer DEFAULT 2 NOT NULL,
    cooldown interval DEFAULT '00:00:30'::interval NOT NULL,
    trial_timeout interval DEFAULT '00:00:30'::interval NOT NULL,
    trial_started_at timestamp with time zone,
    opened_at timestamp with time zone,
    state_changed_at timestamp with time zone DEFAULT now() NOT NULL,
    last_failure_at timestamp with time zone,
    last_success_at timestamp with time zone,
    last_error text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT circuit_breaker_states_cooldown_check CHECK ((cooldown >= '00:00:00'::interval)),
    CONSTRAINT circuit_breaker_states_failure_threshold_check CHECK ((failure_threshold > 0)),
    CONSTRAINT circuit_breaker_states_key_check CHECK ((btrim(key) <> ''::text)),
    CONSTRAINT circuit_breaker_states_state_check CHECK ((state = ANY (ARRAY['closed'::text, 'open'::text, 'half_open'::text]))),
    CONSTRAINT circuit_breaker_states_success_threshold_check CHECK ((success_threshold > 0)),
    CONSTRAINT circuit_breaker_states_trial_timeout_check CHECK ((trial_timeout > '00:00:00'::interval))
);


--
-- Name: TABLE circuit_breaker_states; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.circuit_breaker_states IS 'Circuit breaker per key; change it through dbguard.breaker_allow/record_success/record_failure (thresholds: UPDATE or dbguard.breaker_configure).';


--
-- Name: COLUMN circuit_breaker_states.key; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.key IS 'Breaker key (one external dependency).';


--
-- Name: COLUMN circuit_breaker_states.state; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.state IS 'closed, open or half_open.';


--
-- Name: COLUMN circuit_breaker_states.failure_count; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.failure_count IS 'Consecutive failures since the last success.';


--
-- Name: COLUMN circuit_breaker_states.success_count; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.success_count IS 'Successful trials while half_open.';


--
-- Name: COLUMN circuit_breaker_states.failure_threshold; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.failure_threshold IS 'Consecutive failures that open the breaker (default 3).';


--
-- Name: COLUMN circuit_breaker_states.success_threshold; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.success_threshold IS 'Successful trials that close it (default 2).';


--
-- Name: COLUMN circuit_breaker_states.cooldown; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.cooldown IS 'Time open before a trial is allowed (default 30 seconds).';


--
-- Name: COLUMN circuit_breaker_states.trial_timeout; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.trial_timeout IS 'After how long an unanswered trial goes to the next caller.';


--
-- Name: COLUMN circuit_breaker_states.trial_started_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.trial_started_at IS 'When the current half_open trial started.';


--
-- Name: COLUMN circuit_breaker_states.opened_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.opened_at IS 'When it last opened.';


--
-- Name: COLUMN circuit_breaker_states.state_changed_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.state_changed_at IS 'When the state last changed.';


--
-- Name: COLUMN circuit_breaker_states.last_failure_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.last_failure_at IS 'When the last failure was recorded.';


--
-- Name: COLUMN circuit_breaker_states.last_success_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.last_success_at IS 'When the last success was recorded.';


--
-- Name: COLUMN circuit_breaker_states.last_error; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.last_error IS 'Error text of the last failure.';


--
-- Name: COLUMN circuit_breaker_states.created_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.created_at IS 'When the key was first used.';


--
-- Name: COLUMN circuit_breaker_states.updated_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_states.updated_at IS 'When the row last changed.';


--
-- Name: breaker_configure(text, integer, interval, integer, interval); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_configure(p_key text, p_failure_threshold integer DEFAULT NULL::integer, p_cooldown interval DEFAULT NULL::interval, p_success_threshold integer DEFAULT NULL::integer, p_trial_timeout interval DEFAULT NULL::interval) RETURNS dbguard.circuit_breaker_states
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_row dbguard.circuit_breaker_states := dbguard.breaker_lock(p_key);
BEGIN
    UPDATE dbguard.circuit_breaker_states s
       SET failure_threshold = coalesce(p_failure_threshold, s.failure_threshold),
           cooldown = coalesce(p_cooldown, s.cooldown),
           success_threshold = coalesce(p_success_threshold, s.success_threshold),
           trial_timeout = coalesce(p_trial_timeout, s.trial_timeout),
           updated_at = pg_catalog.now()
     WHERE s.key = p_key
    RETURNING * INTO v_row;
    RETURN v_row;
END
$$;


--
-- Name: breaker_lock(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_lock(p_key text) RETURNS dbguard.circuit_breaker_states
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_row dbguard.circuit_breaker_states;
BEGIN
    IF p_key IS NULL OR pg_catalog.btrim(p_key) = '' THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker needs a key'
            USING ERRCODE = '23Q01', HINT = 'name the protected dependency, e.g. ''calcom''';
    END IF;
    INSERT INTO dbguard.circuit_breaker_states (key) VALUES (p_key) ON CONFLICT (key) DO NOTHING;
    SELECT * INTO v_row FROM dbguard.circuit_breaker_states s WHERE s.key = p_key FOR UPDATE;
    RETURN v_row;
END
$$;


--
-- Name: breaker_log_transition(text, text, text, text, text, timestamp with time zone); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_log_transition(p_key text, p_from text, p_to text, p_reason text, p_error text, p_at timestamp with time zone) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    UPDATE dbguard.circuit_breaker_states
       SET state = p_to, state_changed_at = p_at, updated_at = p_at,
           opened_at = CASE WHEN p_to = 'open' THEN p_at WHEN p_to = 'closed' THEN NULL ELSE opened_at END,
           failure_count = CASE WHEN p_to = 'closed' THEN 0 ELSE failure_count END,
           success_count = 0,
           trial_started_at = NULL
     WHERE key = p_key;
    INSERT INTO dbguard.circuit_breaker_transitions (key, from_state, to_state, reason, error, occurred_at)
    VALUES (p_key, p_from, p_to, p_reason, p_error, p_at);
$$;


--
-- Name: breaker_now(timestamp with time zone); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_now(p_now timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_now pg_catalog.timestamptz := p_now;
BEGIN
    IF v_now IS NULL AND pg_catalog.current_setting('dbguard.now', true) <> ''
       AND pg_catalog.pg_has_role(session_user, current_user, 'MEMBER') THEN
        v_now := pg_catalog.current_setting('dbguard.now', true)::pg_catalog.timestamptz;
    END IF;
    IF v_now IS NULL THEN
        RETURN pg_catalog.clock_timestamp();
    END IF;
    IF NOT pg_catalog.isfinite(v_now) THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker''s time must be finite, not %', v_now
            USING ERRCODE = '22008',
                  HINT = 'Pass a real time, or none: the breaker then uses the server''s clock.';
    END IF;
    RETURN v_now;
END
$$;


--
-- Name: breaker_record_failure(text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_record_failure(p_key text, p_error text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF pg_catalog.length(p_key) > 200 THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker key is at most 200 characters, this one has %', pg_catalog.length(p_key)
            USING ERRCODE = '22001', HINT = 'Name the protected dependency, e.g. ''calcom''.';
    END IF;
    RETURN dbguard.breaker_record_failure_at(p_key, p_error, dbguard.breaker_now(NULL));
END
$$;


--
-- Name: breaker_record_failure_at(text, text, timestamp with time zone); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_record_failure_at(p_key text, p_error text, p_now timestamp with time zone) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_now pg_catalog.timestamptz := dbguard.breaker_now(p_now);
    v_row dbguard.circuit_breaker_states := dbguard.breaker_lock(p_key);
    v_error text := pg_catalog.left(p_error, 2000);
BEGIN
    UPDATE dbguard.circuit_breaker_states s
       SET last_failure_at = v_now, last_error = coalesce(v_error, s.last_error), updated_at = v_now,
           failure_count = s.failure_count + 1
     WHERE s.key = p_key;
    IF v_row.state = 'half_open' THEN
        PERFORM dbguard.breaker_log_transition(p_key, 'half_open', 'open', 'trial_failed', v_error, v_now);
        RETURN 'open';
    ELSIF v_row.state = 'closed' AND v_row.failure_count + 1 >= v_row.failure_threshold THEN
        PERFORM dbguard.breaker_log_transition(p_key, 'closed', 'open', 'failure_threshold', v_error, v_now);
        RETURN 'open';
    END IF;
    RETURN v_row.state;
END
$$;


--
-- Name: breaker_record_success(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_record_success(p_key text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF pg_catalog.length(p_key) > 200 THEN
        RAISE EXCEPTION 'dbguard: a circuit breaker key is at most 200 characters, this one has %', pg_catalog.length(p_key)
            USING ERRCODE = '22001', HINT = 'Name the protected dependency, e.g. ''calcom''.';
    END IF;
    RETURN dbguard.breaker_record_success_at(p_key, dbguard.breaker_now(NULL));
END
$$;


--
-- Name: breaker_record_success_at(text, timestamp with time zone); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_record_success_at(p_key text, p_now timestamp with time zone) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_now pg_catalog.timestamptz := dbguard.breaker_now(p_now);
    v_row dbguard.circuit_breaker_states := dbguard.breaker_lock(p_key);
BEGIN
    UPDATE dbguard.circuit_breaker_states s
       SET last_success_at = v_now, updated_at = v_now,
           failure_count = CASE WHEN s.state = 'closed' THEN 0 ELSE s.failure_count END,
           success_count = CASE WHEN s.state = 'half_open' THEN s.success_count + 1 ELSE s.success_count END,
           trial_started_at = CASE WHEN s.state = 'half_open' THEN NULL ELSE s.trial_started_at END
     WHERE s.key = p_key;
    IF v_row.state = 'half_open' AND v_row.success_count + 1 >= v_row.success_threshold THEN
        PERFORM dbguard.breaker_log_transition(p_key, 'half_open', 'closed', 'recovered', NULL, v_now);
        RETURN 'closed';
    END IF;
    RETURN v_row.state;
END
$$;


--
-- Name: breaker_reset(text, timestamp with time zone); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.breaker_reset(p_key text, p_now timestamp with time zone DEFAULT NULL::timestamp with time zone) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_now timestamptz := dbguard.breaker_now(p_now);
    v_row dbguard.circuit_breaker_states;
BEGIN
    SELECT * INTO v_row FROM dbguard.circuit_breaker_states s WHERE s.key = p_key FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dbguard: no circuit breaker %', pg_catalog.quote_literal(coalesce(p_key, 'NULL'))
            USING ERRCODE = '23Q01', HINT = 'list the breakers with: dbguard breaker';
    END IF;
    IF v_row.state <> 'closed' THEN
        PERFORM dbguard.breaker_log_transition(p_key, v_row.state, 'closed', 'reset', NULL, v_now);
    END IF;
    UPDATE dbguard.circuit_breaker_states
       SET failure_count = 0, success_count = 0, trial_started_at = NULL, updated_at = v_now
     WHERE key = p_key;
    RETURN 'closed';
END
$$;


--
-- Name: calcom_host_fields(jsonb); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.calcom_host_fields(p_host jsonb, OUT host_id integer, OUT email text, OUT name text, OUT username text, OUT timezone text) RETURNS record
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    c_hint constant text := 'A host looks like {"id": 123, "email": "anna@example.com", "name": "Anna Meier", '
                            '"username": "anna", "timeZone": "Europe/Berlin"}; only "id" is required.';
    v_key  text;
    v_type text;
    v_id   numeric;
    v_text text;
    v_keys text;
BEGIN
    IF pg_catalog.jsonb_typeof(p_host) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION 'dbguard: a calendar host must be a JSON object, got %',
                        coalesce(pg_catalog.jsonb_typeof(p_host), 'SQL NULL')
            USING ERRCODE = '22023', HINT = c_hint;
    END IF;

    v_keys := 'host keys: ' || coalesce((SELECT pg_catalog.string_agg(k, ', ' ORDER BY k)
                                           FROM pg_catalog.jsonb_object_keys(p_host) AS k), '(none)');
    v_type := pg_catalog.jsonb_typeof(p_host -> 'id');
    IF v_type = 'number' THEN
        v_id := (p_host ->> 'id')::numeric;
    ELSIF v_type = 'string' AND (p_host ->> 'id') ~ '^\s*[0-9]{1,10}\s*$' THEN
        v_id := pg_catalog.btrim(p_host ->> 'id')::numeric;
    END IF;
    IF v_id IS NULL OR v_id <> pg_catalog.trunc(v_id) OR v_id NOT BETWEEN 1 AND 2147483647 THEN
        RAISE EXCEPTION 'dbguard: calendar host "id" must be a positive integer, got %',
                        coalesce((p_host -> 'id')::text, 'no "id" key')
            USING ERRCODE = '22023', DETAIL = v_keys, HINT = c_hint;
    END IF;
    host_id := v_id::integer;

    -- Optional text keys: a string (blank = absent), null or missing; anything else is refused.
    FOREACH v_key IN ARRAY ARRAY['email', 'name', 'username', 'timeZone'] LOOP
        v_type := pg_catalog.jsonb_typeof(p_host -> v_key);
        IF v_type IS NOT NULL AND v_type NOT IN ('string', 'null') THEN
            RAISE EXCEPTION 'dbguard: calendar host "%" must be a string, got %', v_key, v_type
                USING ERRCODE = '22023', DETAIL = v_keys, HINT = c_hint;
        END IF;
        v_text := NULLIF(pg_catalog.btrim(p_host ->> v_key), '');
        CASE v_key
            WHEN 'email' THEN email := v_text;
            WHEN 'name' THEN name := v_text;
            WHEN 'username' THEN username := v_text;
            ELSE timezone := v_text;
        END CASE;
    END LOOP;
END
$_$;


--
-- Name: call_has_appointment(bigint); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.call_has_appointment(p_call_id bigint) RETURNS boolean
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = p_call_id);
END
$$;


--
-- Name: code_is_active(text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.code_is_active(p_vocabulary text, p_value text) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT v.is_active FROM dbguard.vocabularies v
     WHERE v.vocabulary OPERATOR(pg_catalog.=) p_vocabulary
       AND v.code OPERATOR(pg_catalog.=) p_value
$$;


--
-- Name: compile_rules(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.compile_rules() RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    g record;
    v_statement pg_catalog.text;
    v_stale record;
    -- What compiled_rules() produced, kept for the steps after the loop: it
    -- renders every function, and running it again would cost as much again.
    v_tables pg_catalog.regclass[] := '{}';
    v_timings pg_catalog.text[] := '{}';
    v_functions pg_catalog.text[] := '{}';
BEGIN
    PERFORM dbguard.lock_generated_functions('dbguard.compile_rules', 'dbguard.rule_settings',
                                             'the compiled trigger functions');
    FOR g IN SELECT * FROM dbguard.compiled_rules() LOOP
        v_tables := v_tables || g.table_name;
        v_timings := v_timings || g.timing;
        v_functions := v_functions || g.function_name;
        -- A trigger of the group's function under another name (the group's
        -- lowest order changed) would run the rules twice.
        FOR v_stale IN
            SELECT t.tgname FROM pg_catalog.pg_trigger t
             WHERE t.tgrelid = g.table_name AND NOT t.tgisinternal AND t.tgname <> g.trigger_name
               AND t.tgfoid = pg_catalog.to_regprocedure(g.function_name)
        LOOP
            EXECUTE pg_catalog.format('DROP TRIGGER %I ON %s', v_stale.tgname, g.table_name);
        END LOOP;
        FOREACH v_statement IN ARRAY g.statements LOOP
            EXECUTE v_statement;
        END LOOP;
        -- The trigger is left alone when it is there as compiled (its comment
        -- holds the checksum of its statement): its shape does not depend on
        -- the modes, and replacing it would lock the table to commit.
        CONTINUE WHEN g.trigger_statement IS NULL OR EXISTS (
            SELECT 1 FROM pg_catalog.pg_trigger t
             WHERE t.tgrelid = g.table_name AND t.tgname = g.trigger_name
               AND t.tgfoid = pg_catalog.to_regprocedure(g.function_name)
               AND pg_catalog.obj_description(t.oid, 'pg_trigger') = 'dbguard compiled ' || pg_catalog.md5(g.trigger_statement));
        EXECUTE g.trigger_statement;
        EXECUTE pg_catalog.format('COMMENT ON TRIGGER %I ON %s IS %L', g.trigger_name, g.table_name,
                                  'dbguard compiled ' || pg_catalog.md5(g.trigger_statement));
    END LOOP;
    -- Compiled functions no group produces any more (a rule went back to a
    -- trigger of its own, or its table lost every fragment) go with their triggers.
    FOR v_stale IN
        SELECT p.oid::pg_catalog.regprocedure AS fn
          FROM pg_catalog.pg_proc p
         WHERE p.pronamespace = 'dbguard'::pg_catalog.regnamespace
           AND p.proname ~ '^tg_.+__(before|after)_row$'
           AND p.oid::pg_catalog.regprocedure::pg_catalog.text <> ALL (v_functions)
    LOOP
        EXECUTE pg_catalog.format('DROP FUNCTION %s CASCADE', v_stale.fn);
    END LOOP;
    -- The rules with triggers of their own: none while off; otherwise their
    -- functions as rendered for the mode (dbguard.rule_functions), made
    -- SECURITY DEFINER or not and pinned again (CREATE OR REPLACE resets both),
    -- and the fingerprint drift compares against taken of what now runs.
    FOR v_stale IN
        SELECT r.rule, r.function_name, dbguard.compiled_mode(r.rule) AS mode FROM dbguard.installed_rules r
         WHERE NOT EXISTS (SELECT 1 FROM dbguard.rule_fragments f WHERE f.rule = r.rule)
         ORDER BY r.rule
    LOOP
        PERFORM dbguard.apply_rule_triggers(v_stale.rule);
        CONTINUE WHEN v_stale.mode = 'off';
        FOR g IN SELECT fn.function_name, fn.definer, fn.statement FROM dbguard.rule_functions fn
                  WHERE fn.rule = v_stale.rule AND fn.mode = v_stale.mode ORDER BY fn.function_name LOOP
            EXECUTE g.statement;
            PERFORM dbguard.secure_function(pg_catalog.to_regprocedure(g.function_name), g.definer);
        END LOOP;
        UPDATE dbguard.installed_rules r
           SET definition_md5 = coalesce(dbguard.function_fingerprint(pg_catalog.to_regprocedure(r.function_name)), '')
         WHERE r.rule = v_stale.rule;
    END LOOP;
    -- function_name: the rule's first function (BEFORE before AFTER); triggers:
    -- those of every compiled function the rule has code in.
    UPDATE dbguard.installed_rules r
       SET function_name = x.function_name,
           definition_md5 = coalesce(dbguard.function_fingerprint(pg_catalog.to_regprocedure(x.function_name)), ''),
           triggers = x.triggers
      FROM (SELECT f.rule,
                   (pg_catalog.array_agg(c.function_name ORDER BY f.timing <> 'before_row', f.trigger_order,
                                        f.table_name::pg_catalog.text))[1]
                       AS function_name,
                   (SELECT pg_catalog.array_agg(DISTINCT t ORDER BY t)
                      FROM pg_catalog.unnest(pg_catalog.array_agg(c.function_name)) fn,
                           pg_catalog.unnest(dbguard.rule_triggers(pg_catalog.to_regprocedure(fn))) t) AS triggers
              FROM (SELECT DISTINCT fr.rule, fr.table_name, fr.timing, fr.trigger_order FROM dbguard.rule_fragments fr) f
              JOIN ROWS FROM (pg_catalog.unnest(v_tables), pg_catalog.unnest(v_timings), pg_catalog.unnest(v_functions))
                   AS c (table_name, timing, function_name)
                ON c.table_name = f.table_name AND c.timing = f.timing
             GROUP BY f.rule) x
     WHERE r.rule = x.rule;
END
$_$;


--
-- Name: compiled_mode(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.compiled_mode(p_rule text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT coalesce((SELECT s.mode FROM dbguard.rule_settings s WHERE s.rule OPERATOR(pg_catalog.=) p_rule), 'correct')
$$;


--
-- Name: compiled_rules(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.compiled_rules() RETURNS TABLE(table_name regclass, timing text, function_name text, trigger_name text, rules text[], function_body text, statements text[], trigger_statement text)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    g record;
    v_function text;
    v_body text;
    v_gates text;
    v_rules text[];
    v_events text[];
    v_columns text[];
    v_every_update boolean;
BEGIN
    FOR g IN
        SELECT f.table_name AS tbl, f.timing AS tmg, c.relname::text AS relname,
               min(f.trigger_order) AS trigger_order
          FROM dbguard.rule_fragments f
          JOIN pg_catalog.pg_class c ON c.oid = f.table_name
         GROUP BY f.table_name, f.timing, c.relname
         ORDER BY c.relname, f.timing
    LOOP
        v_function := pg_catalog.format('dbguard.%I', 'tg_' || g.relname || '__' || g.tmg);
        table_name := g.tbl;
        timing := g.tmg;
        function_name := v_function || '()';
        trigger_name := pg_catalog.format('dbguard_%s_%s', pg_catalog.lpad(g.trigger_order::text, 3, '0'), g.tmg);

        SELECT pg_catalog.string_agg(
                   pg_catalog.format(E'    IF %s THEN\n    <<%s>>\n%s %s;\n    END IF;\n',
                       pg_catalog.array_to_string(ARRAY[
                           CASE WHEN f.on_insert THEN
                               '(TG_OP = ''INSERT''' || coalesce(' AND (' || f.insert_when || ')', '') || ')' END,
                           CASE WHEN f.on_update THEN
                               '(TG_OP = ''UPDATE'''
                               || CASE WHEN f.update_of IS NULL THEN ''
                                       WHEN pg_catalog.cardinality(f.update_of) = 1
                                       THEN pg_catalog.format(' AND NEW.%1$I IS DISTINCT FROM OLD.%1$I', f.update_of[1])
                                       ELSE pg_catalog.format(' AND ROW(%s) IS DISTINCT FROM ROW(%s)',
                                                (SELECT pg_catalog.string_agg(pg_catalog.format('NEW.%I', u), ', ' ORDER BY o)
                                                   FROM pg_catalog.unnest(f.update_of) WITH ORDINALITY x(u, o)),
                                                (SELECT pg_catalog.string_agg(pg_catalog.format('OLD.%I', u), ', ' ORDER BY o)
                                                   FROM pg_catalog.unnest(f.update_of) WITH ORDINALITY x(u, o))) END
                               || coalesce(' AND (' || f.update_when || ')', '') || ')' END,
                           CASE WHEN f.on_delete THEN
                               '(TG_OP = ''DELETE''' || coalesce(' AND (' || f.delete_when || ')', '') || ')' END],
                           E'\n       OR '),
                       f.rule, pg_catalog.rtrim(f.body, E' \n'), f.rule),
                   E'\n' ORDER BY f.trigger_order, f.rule),
               pg_catalog.array_agg(f.rule ORDER BY f.trigger_order, f.rule)
          INTO v_gates, v_rules
          FROM dbguard.rule_fragments f
         WHERE f.table_name = g.tbl AND f.timing = g.tmg AND f.mode = dbguard.compiled_mode(f.rule);

        -- The trigger's events and columns come from every fragment of the group,
        -- whatever its mode: the trigger stays as it is when a mode changes.
        SELECT pg_catalog.array_agg(DISTINCT e.event),
               pg_catalog.bool_or(f.on_update AND f.update_of IS NULL)
          INTO v_events, v_every_update
          FROM dbguard.rule_fragments f
         CROSS JOIN LATERAL (VALUES (CASE WHEN f.on_insert THEN 'INSERT' END),
                                    (CASE WHEN f.on_update THEN 'UPDATE' END),
                                    (CASE WHEN f.on_delete THEN 'DELETE' END)) e(event)
         WHERE f.table_name = g.tbl AND f.timing = g.tmg AND e.event IS NOT NULL;
        SELECT pg_catalog.array_agg(DISTINCT u ORDER BY u)
          INTO v_columns
          FROM dbguard.rule_fragments f
         CROSS JOIN pg_catalog.unnest(f.update_of) u
         WHERE f.table_name = g.tbl AND f.timing = g.tmg;

        rules := coalesce(v_rules, '{}');
        IF v_gates IS NULL THEN
            -- Every rule of the group is off: no code runs, no trigger fires.
            function_body := NULL;
            statements := ARRAY[pg_catalog.format('DROP TRIGGER IF EXISTS %I ON %s', trigger_name, g.tbl),
                                pg_catalog.format('DROP FUNCTION IF EXISTS %s()', v_function)];
            trigger_statement := NULL;
            RETURN NEXT;
            CONTINUE;
        END IF;

        v_body := pg_catalog.format(E'\n'
            || E'-- Compiled by dbguard.compile_rules() from dbguard.rule_fragments: do not edit;\n'
            || E'-- change a rule''s mode (dbguard rules set-mode) or its source instead.\n'
            || E'BEGIN\n'
            || E'    IF TG_RELID <> %L::pg_catalog.regclass THEN\n'
            || E'        RAISE EXCEPTION ''dbguard: %s() is a trigger of %s only, not of %%.%%'', TG_TABLE_SCHEMA, TG_TABLE_NAME\n'
            || E'            USING ERRCODE = ''42501'',\n'
            || E'                  HINT = ''dbguard''''s trigger functions run as their owner and refuse any other table.'';\n'
            || E'    END IF;\n'
            || E'%s'
            || E'    RETURN %s;\n'
            || E'END\n',
            g.tbl::text, v_function, g.tbl::text, v_gates,
            CASE WHEN g.tmg = 'after_row' THEN 'NULL'
                 WHEN 'DELETE' = ANY (v_events) THEN 'CASE WHEN TG_OP = ''DELETE'' THEN OLD ELSE NEW END'
                 ELSE 'NEW' END);
        IF pg_catalog.strpos(v_body, '$compiled$') > 0 THEN
            RAISE EXCEPTION 'dbguard: a fragment of % on % contains $compiled$', g.tmg, g.tbl
                USING ERRCODE = '22023', HINT = 'Remove that text from the rule source and migrate again.';
        END IF;

        function_body := v_body;
        statements := ARRAY[
            pg_catalog.format(E'CREATE OR REPLACE FUNCTION %s()\nRETURNS trigger\nLANGUAGE plpgsql\nSECURITY DEFINER\n'
                              || E'SET search_path = pg_catalog, pg_temp\nAS $compiled$%s$compiled$', v_function, v_body),
            pg_catalog.format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', v_function)];
        trigger_statement := pg_catalog.format(
            E'CREATE OR REPLACE TRIGGER %I\n    %s %s ON %s\n    FOR EACH ROW\n    EXECUTE FUNCTION %s()',
            trigger_name,
            CASE WHEN g.tmg = 'before_row' THEN 'BEFORE' ELSE 'AFTER' END,
            pg_catalog.array_to_string(ARRAY(
                SELECT CASE WHEN e = 'UPDATE' AND v_columns IS NOT NULL AND NOT v_every_update
                            THEN 'UPDATE OF ' || (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(c), ', ' ORDER BY c)
                                                    FROM pg_catalog.unnest(v_columns) c)
                            ELSE e END
                  FROM pg_catalog.unnest(ARRAY['INSERT', 'UPDATE', 'DELETE']) e
                 WHERE e = ANY (v_events)), ' OR '),
            g.tbl,
            v_function);
        RETURN NEXT;
    END LOOP;
END
$_$;


--
-- Name: drop_invalid_index(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.drop_invalid_index(p_index text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_index regclass := pg_catalog.to_regclass(p_index);
BEGIN
    IF v_index IS NULL OR (SELECT i.indisvalid FROM pg_catalog.pg_index i WHERE i.indexrelid = v_index) THEN
        RETURN false;
    END IF;
    RAISE NOTICE 'dropping invalid index % left by an interrupted migration', v_index;
    EXECUTE pg_catalog.format('DROP INDEX %s', v_index);
    RETURN true;
END
$$;


--
-- Name: enqueue_review(bigint, text, jsonb); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.enqueue_review(p_call_id bigint, p_reason text, p_context jsonb DEFAULT '{}'::jsonb) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    c_max_context constant pg_catalog.int4 := 16384;
    v_id pg_catalog.int8;
    v_context pg_catalog.jsonb := coalesce(p_context, '{}'::pg_catalog.jsonb);
    v_size pg_catalog.int4;
BEGIN
    IF p_reason IS NULL OR pg_catalog.btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'dbguard: enqueue_review needs a reason'
            USING ERRCODE = '23Q01', HINT = 'e.g. appointment_validation_failed, calcom_booking_failed, service_not_found';
    END IF;
    IF pg_catalog.length(p_reason) > 200 THEN
        RAISE EXCEPTION 'dbguard: enqueue_review: the reason is % characters long, at most 200 are accepted',
                        pg_catalog.length(p_reason)
            USING ERRCODE = '22001',
                  HINT = 'The reason is a short code (e.g. calcom_booking_failed); put the details into the context.';
    END IF;
    v_size := pg_catalog.octet_length(v_context::pg_catalog.text);
    IF v_size > c_max_context THEN
        v_context := pg_catalog.jsonb_build_object(
            'dbguard_truncated', true, 'original_bytes', v_size,
            'keys', CASE WHEN pg_catalog.jsonb_typeof(v_context) = 'object' THEN
                        (SELECT pg_catalog.jsonb_agg(pg_catalog.left(k.key, 100))
                           FROM (SELECT e.key FROM pg_catalog.jsonb_object_keys(v_context) AS e(key) LIMIT 50) k)
                    END);
    END IF;
    INSERT INTO dbguard.manual_review_queue AS q (call_id, reason, priority, context)
    VALUES (p_call_id, p_reason, dbguard.review_priority(p_reason), v_context)
    ON CONFLICT (call_id, reason) WHERE status = 'pending'
    DO UPDATE SET occurrences = q.occurrences + 1,
                  last_occurred_at = pg_catalog.now(), updated_at = pg_catalog.now()
    RETURNING q.id INTO v_id;
    RETURN v_id;
END
$$;


--
-- Name: function_fingerprint(regprocedure); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.function_fingerprint(p_function regprocedure) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT md5(pg_catalog.pg_get_functiondef(p_function))
$$;


--
-- Name: in_vocabulary(text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.in_vocabulary(p_vocabulary text, p_value text) RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT p_value IS NULL
           OR EXISTS (SELECT 1 FROM dbguard.vocabularies v
                       WHERE v.vocabulary OPERATOR(pg_catalog.=) p_vocabulary
                         AND v.code OPERATOR(pg_catalog.=) p_value)
$$;


--
-- Name: lead_primary_appointment(bigint); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.lead_primary_appointment(p_lead_id bigint) RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT a.id INTO v_id
      FROM public.appointments a
      LEFT JOIN dbguard.vocabularies v
             ON v.vocabulary = 'appointment_status' AND v.code = a.status
     WHERE a.lead_id = p_lead_id
       AND (coalesce(v.is_active, false) OR a.status = 'cancelled')
     ORDER BY CASE WHEN coalesce(v.is_active, false) AND a.starts_at >= pg_catalog.now() THEN 0
                   WHEN coalesce(v.is_active, false) THEN 1
                   ELSE 2 END,
              -- upcoming: the soonest first; the others: the latest first
              CASE WHEN coalesce(v.is_active, false) AND a.starts_at >= pg_catalog.now() THEN a.starts_at END,
              a.starts_at DESC NULLS LAST,
              a.id DESC
     LIMIT 1;
    RETURN v_id;
END
$$;


--
-- Name: lead_rollup_pending_ids(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.lead_rollup_pending_ids(p_list text) RETURNS bigint[]
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
    -- As the triggers write it: a cast, without a query.
    IF p_list ~ '^[0-9]{1,18}(,[0-9]{1,18})*$' THEN
        RETURN pg_catalog.string_to_array(p_list, ',')::bigint[];
    END IF;
    RETURN (SELECT coalesce(pg_catalog.array_agg(DISTINCT x::bigint), '{}'::bigint[])
              FROM pg_catalog.unnest(pg_catalog.string_to_array(coalesce(p_list, ''), ',')) x
             WHERE x ~ '^[0-9]{1,18}$');
END
$_$;


--
-- Name: lead_rollup_step(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.lead_rollup_step(p_mode text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_list text := pg_catalog.current_setting('dbguard.lead_rollup_leads', true);
    v_leads bigint[];
    v_lead bigint;
    v_ignored text;
BEGIN
    -- The list as the statement trigger writes it is cast here, without a call;
    -- anything else is read by dbguard.lead_rollup_pending_ids (any session can
    -- write the setting).
    IF v_list ~ '^[0-9]{1,18}(,[0-9]{1,18})*$' THEN
        v_leads := pg_catalog.string_to_array(v_list, ',')::bigint[];
    ELSE
        v_leads := dbguard.lead_rollup_pending_ids(v_list);
    END IF;
    -- Assignments, not PERFORM: a simple expression runs without starting a query.
    v_ignored := pg_catalog.set_config('dbguard.lead_rollup_leads', '', true);
    v_ignored := pg_catalog.set_config('dbguard.lead_rollup_queued', '', true);
    IF p_mode <> 'alert' THEN
        v_ignored := dbguard.refresh_lead_rollups(v_leads);
        RETURN;
    END IF;
    FOR v_lead IN SELECT DISTINCT l FROM pg_catalog.unnest(v_leads) l ORDER BY l LOOP
        IF dbguard.refresh_locked_lead_rollup(v_lead, false) THEN
            PERFORM dbguard.raise_alert('lead_rollup_drift', 'warning', 'lead', v_lead::text,
                pg_catalog.format('lead %s: rollup columns differ from its primary appointment', v_lead),
                pg_catalog.jsonb_build_object('lead_id', v_lead,
                                              'primary_appointment_id', dbguard.lead_primary_appointment(v_lead),
                                              'mode', p_mode),
                'trigger', false, 'lead_rollup');
        END IF;
    END LOOP;
END
$_$;


--
-- Name: lock_generated_functions(text, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.lock_generated_functions(p_writer text, p_tables text, p_functions text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- The functions are written from the table as this statement sees it. Under
    -- READ COMMITTED each statement sees what others committed before it; under
    -- REPEATABLE READ or SERIALIZABLE a row another session changed since the
    -- transaction began would be written back to its old value.
    IF pg_catalog.current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION '% can only be changed in a READ COMMITTED transaction (this one is %)',
                p_tables, pg_catalog.current_setting('transaction_isolation')
            USING ERRCODE = '0A000',
                  DETAIL = pg_catalog.format('A change of %s rewrites %s from the whole table, and this transaction''s snapshot may miss rows other sessions changed since it began.',
                                             p_tables, p_functions),
                  HINT = 'Run the change in its own transaction: BEGIN ISOLATION LEVEL READ COMMITTED; ... COMMIT;';
    END IF;
    -- One writer at a time, held to commit: two concurrent CREATE OR REPLACE of one
    -- function fail with "tuple concurrently updated", and the second writer must
    -- read the table after the first one's commit, not before.
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext(p_writer));
END
$$;


--
-- Name: mapped_booking_source(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.mapped_booking_source(p_source text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT m.booking_source FROM dbguard.source_mappings m
     WHERE m.source OPERATOR(pg_catalog.=) p_source
$$;


--
-- Name: queue_pending_lead_rollup(bigint); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.queue_pending_lead_rollup(p_lead_id bigint) RETURNS void
    LANGUAGE sql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    INSERT INTO dbguard.pending_lead_rollups (lead_id) VALUES (p_lead_id)
    ON CONFLICT (lead_id) DO NOTHING
$$;


--
-- Name: raise_alert(text, text, text, text, text, jsonb, text, boolean, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.raise_alert(p_alert_type text, p_severity text, p_entity_type text, p_entity_id text, p_description text, p_details jsonb DEFAULT '{}'::jsonb, p_detected_by text DEFAULT 'trigger'::text, p_auto_corrected boolean DEFAULT false, p_rule text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_id      pg_catalog.int8;
    v_details pg_catalog.jsonb := coalesce(p_details, '{}'::pg_catalog.jsonb);
    v_size    pg_catalog.int4;
BEGIN
    -- entity_id = ... / IS NULL (not IS NOT DISTINCT FROM, which no index can
    -- serve): a scan raising 100 000 alerts must not read the table each time.
    IF p_detected_by = 'scan' AND p_entity_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM dbguard.data_consistency_alerts a
         WHERE a.entity_type = p_entity_type AND a.entity_id = p_entity_id
           AND a.alert_type = p_alert_type AND a.resolved_at IS NULL) THEN
        RETURN NULL;
    END IF;
    IF p_detected_by = 'scan' AND p_entity_id IS NULL AND EXISTS (
        SELECT 1 FROM dbguard.data_consistency_alerts a
         WHERE a.entity_type = p_entity_type AND a.entity_id IS NULL
           AND a.alert_type = p_alert_type AND a.resolved_at IS NULL) THEN
        RETURN NULL;
    END IF;
    v_size := pg_catalog.octet_length(v_details::pg_catalog.text);
    IF v_size > 65536 THEN
        v_details := pg_catalog.jsonb_build_object('dbguard_truncated', true, 'original_bytes', v_size);
    END IF;

    INSERT INTO dbguard.data_consistency_alerts
        (alert_type, severity, entity_type, entity_id, description, details, detected_by, auto_corrected, rule)
    VALUES (p_alert_type, p_severity, p_entity_type, p_entity_id,
            CASE WHEN pg_catalog.length(p_description) > 2000
                 THEN pg_catalog.left(p_description, 2000) || '…' ELSE p_description END,
            v_details, p_detected_by, coalesce(p_auto_corrected, false), p_rule)
    ON CONFLICT (alert_type, entity_type, entity_id) WHERE resolved_at IS NULL AND detected_by = 'scan'
    DO NOTHING
    RETURNING id INTO v_id;

    IF v_id IS NOT NULL THEN
        PERFORM pg_catalog.pg_notify('dbguard_alerts', pg_catalog.jsonb_build_object(
            'id', v_id, 'alert_type', pg_catalog.left(p_alert_type, 200), 'severity', p_severity,
            'entity_type', pg_catalog.left(p_entity_type, 200), 'entity_id', pg_catalog.left(p_entity_id, 200),
            'auto_corrected', coalesce(p_auto_corrected, false), 'detected_by', p_detected_by,
            'rule', pg_catalog.left(p_rule, 200))::pg_catalog.text);
    END IF;
    RETURN v_id;
END
$$;


--
-- Name: raise_vocabulary_error(text, text, text, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.raise_vocabulary_error(p_vocabulary text, p_value text, p_table text, p_column text, p_row_id text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_msg record := dbguard.vocabulary_message(p_vocabulary, p_value, p_table, p_column, p_row_id);
BEGIN
    RAISE EXCEPTION USING MESSAGE = v_msg.message, ERRCODE = '23Q02', DETAIL = v_msg.detail, HINT = v_msg.hint,
              TABLE = p_table, COLUMN = p_column;
END
$$;


--
-- Name: record_rule_triggers(text, text[]); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.record_rule_triggers(p_rule text, p_triggers text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    UPDATE dbguard.installed_rules r
       SET trigger_definitions = ARRAY(
               SELECT pg_catalog.pg_get_triggerdef(t.oid)
                 FROM pg_catalog.unnest(p_triggers) x (name)
                 JOIN pg_catalog.pg_trigger t
                   ON t.tgrelid = pg_catalog.to_regclass(pg_catalog.format('%I.%I', pg_catalog.split_part(x.name, '.', 1),
                                                                          pg_catalog.split_part(x.name, '.', 2)))
                  AND t.tgname = pg_catalog.split_part(x.name, '.', 3)
                ORDER BY x.name)
     WHERE r.rule = p_rule;
    PERFORM dbguard.apply_rule_triggers(p_rule);
END
$$;


--
-- Name: redact_pii(jsonb, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.redact_pii(p_value jsonb, p_key text DEFAULT NULL::text) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE SECURITY DEFINER PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN dbguard.redact_pii_walk(p_value, p_key, 0);
END
$$;


--
-- Name: redact_pii_text(text, boolean); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.redact_pii_text(p_text text, p_phone_key boolean DEFAULT false) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
BEGIN
    RETURN CASE
        WHEN p_text IS NULL THEN NULL
        -- under a phone-like key: a value made only of phone characters (not a date)
        WHEN p_phone_key AND p_text ~ '^\s*\+?[0-9 ().\-/]+\s*$' AND p_text !~ '^\s*[0-9]{4}-[0-9]{2}-[0-9]{2}\s*$'
             AND pg_catalog.length(pg_catalog.regexp_replace(p_text, '[^0-9]', '', 'g')) BETWEEN 7 AND 15 THEN '[phone]'
        ELSE pg_catalog.regexp_replace(
                 pg_catalog.regexp_replace(p_text,
                     '[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}', '[email]', 'g'),
                 '(?<![A-Za-z0-9_\-])('
                     || '\+[0-9](?:[ ().\-/]{0,2}[0-9]){6,14}'
                     || '|00[1-9][0-9]{0,2}[ ()\-/]{1,2}[0-9](?:[ ()\-/]{0,2}[0-9]){4,12}'
                     || '|\(?0[1-9](?:[ ()\-/]{0,2}[0-9]){5,13}'
                     || '|\(?[2-9][0-9]{2}\)?[ .\-][0-9]{3}[ .\-][0-9]{4}'
                     || ')(?![0-9A-Za-z_\-])',
                 '[phone]', 'g')
    END;
END
$_$;


--
-- Name: redact_pii_walk(jsonb, text, integer); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.redact_pii_walk(p_value jsonb, p_key text, p_depth integer) RETURNS jsonb
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_phone_key boolean := p_key ~* '(phone|mobile|msisdn|whatsapp|fax)' OR p_key ~* '^tel$';
    v_email_key boolean := p_key ~* 'e[-_]?mail';
BEGIN
    -- Below 64 levels of objects and arrays the value is replaced by a marker:
    -- each level is a PL/pgSQL call, and ~900 of them exhaust the stack
    -- (max_stack_depth), which would refuse the write instead of redacting it.
    IF p_depth >= 64 AND pg_catalog.jsonb_typeof(p_value) IN ('object', 'array') THEN
        RETURN '"[nested too deeply]"'::pg_catalog.jsonb;
    END IF;
    CASE pg_catalog.jsonb_typeof(p_value)
    WHEN 'object' THEN
        RETURN coalesce((SELECT pg_catalog.jsonb_object_agg(e.key, dbguard.redact_pii_walk(e.value, e.key, p_depth + 1))
                           FROM pg_catalog.jsonb_each(p_value) e), '{}'::jsonb);
    WHEN 'array' THEN
        -- Array elements inherit the key: {"phones": ["0301234567", ...]}.
        RETURN coalesce((SELECT pg_catalog.jsonb_agg(dbguard.redact_pii_walk(e.value, p_key, p_depth + 1) ORDER BY e.ord)
                           FROM pg_catalog.jsonb_array_elements(p_value) WITH ORDINALITY e(value, ord)), '[]'::jsonb);
    WHEN 'string' THEN
        IF coalesce(v_email_key, false) AND (p_value #>> '{}') ~ '@' THEN
            RETURN '"[email]"'::jsonb;
        END IF;
        RETURN pg_catalog.to_jsonb(dbguard.redact_pii_text(p_value #>> '{}', coalesce(v_phone_key, false)));
    WHEN 'number' THEN
        IF coalesce(v_phone_key, false)
           AND pg_catalog.length(pg_catalog.regexp_replace(p_value::text, '[^0-9]', '', 'g')) >= 7 THEN
            RETURN '"[phone]"'::jsonb;
        END IF;
        RETURN p_value;
    ELSE
        RETURN p_value;
    END CASE;
END
$_$;


--
-- Name: refresh_lead_rollup(bigint, boolean); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.refresh_lead_rollup(p_lead_id bigint, p_write boolean DEFAULT true) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_write THEN
        PERFORM 1 FROM public.leads l WHERE l.id = p_lead_id FOR NO KEY UPDATE;
    END IF;
    RETURN dbguard.refresh_locked_lead_rollup(p_lead_id, p_write);
END
$$;


--
-- Name: refresh_lead_rollups(bigint[]); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.refresh_lead_rollups(p_leads bigint[]) RETURNS integer
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_lead bigint;
    v_left integer := 0;
    v_taken bigint[];
    v_serialise boolean;
    v_ignored text;
    v_leads bigint[];
BEGIN
    -- The queue is nearly always empty: a look costs less than taking from it.
    IF EXISTS (SELECT 1 FROM dbguard.pending_lead_rollups) THEN
        v_taken := ARRAY(SELECT l FROM dbguard.take_pending_lead_rollups(100) l);
    ELSE
        v_taken := '{}';
    END IF;
    -- Up to 64 leads a step take turns with other steps (a transaction-level
    -- advisory lock per lead); more (a bulk import) would fill the lock table, so
    -- a large step relies on SKIP LOCKED and the pending queue alone.
    v_leads := coalesce(p_leads, '{}'::bigint[]) || v_taken;
    -- Ascending and distinct; one lead (a booking) is both without a query.
    IF pg_catalog.cardinality(v_leads) > 1 THEN
        v_leads := ARRAY(SELECT DISTINCT l FROM pg_catalog.unnest(v_leads) l ORDER BY l);
    END IF;
    v_serialise := pg_catalog.cardinality(v_leads) <= 64;
    FOREACH v_lead IN ARRAY v_leads LOOP
        CONTINUE WHEN v_lead IS NULL;
        IF v_serialise THEN
            -- Commit steps of the same lead take turns (held to commit, taken in
            -- ascending order, and only by commit steps: no cycle), so the second
            -- one reads the first one's appointments. The next statement sees what
            -- the other committed. Assignments, not PERFORM: a function call
            -- starts no query.
            v_ignored := pg_catalog.pg_advisory_xact_lock(1684499314, (v_lead % 2147483647)::integer);
        END IF;
        PERFORM 1 FROM public.leads l WHERE l.id = v_lead FOR NO KEY UPDATE OF l SKIP LOCKED;
        IF FOUND THEN
            -- locked above: the work without a second lock
            v_ignored := dbguard.refresh_locked_lead_rollup(v_lead, true);
        ELSIF EXISTS (SELECT 1 FROM public.leads l WHERE l.id = v_lead) THEN
            PERFORM dbguard.queue_pending_lead_rollup(v_lead);
            v_left := v_left + 1;
        END IF;
    END LOOP;
    RETURN v_left;
END
$$;


--
-- Name: refresh_locked_lead_rollup(bigint, boolean); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.refresh_locked_lead_rollup(p_lead_id bigint, p_write boolean) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v record;
    v_legacy jsonb;
    v_differs boolean;
BEGIN
    -- The stored rollup and the primary appointment in one query. The choice
    -- of the primary is written out (as in dbguard.lead_primary_appointment and
    -- sql/catalog/_lead_primary.sql.j2; tests/test_lead_rollup.py holds all of
    -- them to one oracle): as a call it cost every booking a function call and
    -- a query of its own.
    SELECT l.appointment_id, l.appointment_start_at, l.appointment_end_at, l.appointment_status,
           l.appointment_canceled_at, l.appointment_provider, l.appointment_source,
           p.id AS primary_id, p.starts_at, p.ends_at, p.status, p.cancelled_at, p.provider, p.booking_source
      INTO v
      FROM public.leads l
      LEFT JOIN LATERAL (
            SELECT a.id, a.starts_at, a.ends_at, a.status, a.cancelled_at, a.provider, a.booking_source
              FROM public.appointments a
              LEFT JOIN dbguard.vocabularies s
                ON s.vocabulary = 'appointment_status' AND s.code = a.status AND s.is_active
             WHERE a.lead_id = l.id AND (s.code IS NOT NULL OR a.status = 'cancelled')
             ORDER BY CASE WHEN s.code IS NOT NULL AND a.starts_at >= pg_catalog.now() THEN 0
                           WHEN s.code IS NOT NULL THEN 1 ELSE 2 END,
                      CASE WHEN s.code IS NOT NULL AND a.starts_at >= pg_catalog.now() THEN a.starts_at END ASC,
                      a.starts_at DESC NULLS LAST, a.id DESC
             LIMIT 1) p ON true
     WHERE l.id = p_lead_id;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    v_differs := (v.appointment_id, v.appointment_start_at, v.appointment_end_at, v.appointment_status,
                  v.appointment_canceled_at, v.appointment_provider, v.appointment_source)
                 IS DISTINCT FROM
                 (v.primary_id, v.starts_at, v.ends_at, v.status, v.cancelled_at, v.provider, v.booking_source);

    -- A rollup without appointment_id but with data predates dbguard: it may be
    -- the only record of that appointment (until `dbguard backfill lead-history`
    -- turns it into a row). Its values go into an alert before they are replaced.
    IF v_differs AND p_write AND v.appointment_id IS NULL THEN
        v_legacy := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
            'appointment_start_at', v.appointment_start_at, 'appointment_end_at', v.appointment_end_at,
            'appointment_status', v.appointment_status, 'appointment_canceled_at', v.appointment_canceled_at,
            'appointment_provider', v.appointment_provider, 'appointment_source', v.appointment_source));
        IF v_legacy <> '{}'::jsonb THEN
            PERFORM dbguard.raise_alert('lead_rollup_legacy_replaced', 'warning', 'lead', p_lead_id::text,
                pg_catalog.format('lead %s: rollup data without an appointment row was replaced; the old values are in details', p_lead_id),
                pg_catalog.jsonb_build_object('lead_id', p_lead_id, 'old_rollup', v_legacy,
                                              'primary_appointment_id', v.primary_id),
                'trigger', true, 'lead_rollup');
        END IF;
    END IF;

    IF v_differs AND p_write THEN
        UPDATE public.leads l
           SET appointment_id = v.primary_id,
               appointment_start_at = v.starts_at,
               appointment_end_at = v.ends_at,
               appointment_status = v.status,
               appointment_canceled_at = v.cancelled_at,
               appointment_provider = v.provider,
               appointment_source = v.booking_source,
               appointment_last_checked_at = pg_catalog.now()
         WHERE l.id = p_lead_id;
    END IF;
    RETURN v_differs;
END
$$;


--
-- Name: register_rule(text, integer, regprocedure, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.register_rule(p_rule text, p_version integer, p_function regprocedure, p_source_sha256 text, p_description text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
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


--
-- Name: resolve_staff_for_host(bigint, uuid, jsonb); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.resolve_staff_for_host(p_company_id bigint, p_branch_id uuid, p_host jsonb) RETURNS uuid
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
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


--
-- Name: restore_rolled_back_claim(bigint); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.restore_rolled_back_claim(p_call_id bigint) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_appointment_id pg_catalog.int8;
    v_review_id pg_catalog.int8;
    v_previous pg_catalog.jsonb;
BEGIN
    SELECT pg_catalog.max(a.id) INTO v_appointment_id FROM public.appointments a WHERE a.call_id = p_call_id;
    IF v_appointment_id IS NULL THEN
        RETURN false;
    END IF;
    SELECT q.id, q.context -> 'previous' INTO v_review_id, v_previous
      FROM dbguard.manual_review_queue q
     WHERE q.call_id = p_call_id
       AND q.status = 'pending'
       AND q.context ->> 'rule' = 'booking_confirmed_requires_appointment'
     ORDER BY q.id DESC
     LIMIT 1
       FOR UPDATE;
    IF v_review_id IS NULL THEN
        RETURN false;
    END IF;

    IF (v_previous ->> 'booking_confirmed') = 'true' THEN
        UPDATE public.calls c
           SET booking_confirmed = true,
               updated_at = pg_catalog.now()
         WHERE c.id = p_call_id AND NOT c.booking_confirmed;
    END IF;
    UPDATE dbguard.manual_review_queue q
       SET status = 'resolved',
           resolved_at = pg_catalog.now(),
           resolved_by = 'dbguard',
           resolution_note = pg_catalog.format('appointment %s arrived for the call; claim restored', v_appointment_id),
           updated_at = pg_catalog.now()
     WHERE q.id = v_review_id;
    UPDATE dbguard.data_consistency_alerts al
       SET resolved_at = pg_catalog.now(),
           resolved_by = 'dbguard'
     WHERE al.entity_type = 'call'
       AND al.entity_id = p_call_id::pg_catalog.text
       AND al.rule = 'booking_confirmed_requires_appointment'
       AND al.alert_type IN ('confirmed_without_appointment', 'made_without_appointment', 'booking_flags_rolled_back')
       AND al.resolved_at IS NULL;
    RETURN true;
END
$$;


--
-- Name: review_priority(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.review_priority(p_reason text) RETURNS smallint
    LANGUAGE sql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT (CASE p_reason
                WHEN 'appointment_validation_failed' THEN 1
                WHEN 'calcom_booking_failed' THEN 2
                WHEN 'customer_creation_failed' THEN 3
                WHEN 'service_not_found' THEN 4
                ELSE 5
            END)::smallint
$$;


--
-- Name: rollback_booking_flags(bigint, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.rollback_booking_flags(p_call_id bigint, p_reason text DEFAULT 'appointment_validation_failed'::text, p_rule text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_call public.calls;
    v_appointments bigint[];
    v_context jsonb;
    v_alert_type text;
BEGIN
    IF p_reason IS NULL OR pg_catalog.btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'dbguard: rollback_booking_flags needs a reason'
            USING ERRCODE = '23Q01', HINT = 'e.g. appointment_validation_failed, calcom_booking_failed';
    END IF;
    SELECT c.* INTO v_call FROM public.calls c WHERE c.id = p_call_id FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dbguard: rollback_booking_flags: no call with id %', coalesce(p_call_id::text, 'NULL')
            USING ERRCODE = '23Q01', HINT = 'Pass the id of an existing row of public.calls.';
    END IF;
    v_appointments := ARRAY(SELECT a.id FROM public.appointments a WHERE a.call_id = p_call_id ORDER BY a.id);

    UPDATE public.calls c
       SET appointment_made = false,
           booking_confirmed = false,
           session_outcome = 'creation_failed',
           appointment_link_status = 'creation_failed',
           -- A link to an appointment that does not exist is cleared too.
           appointment_id = CASE WHEN pg_catalog.cardinality(v_appointments) > 0 THEN c.appointment_id END,
           appointment_linked_at = CASE WHEN pg_catalog.cardinality(v_appointments) > 0 THEN c.appointment_linked_at END,
           updated_at = pg_catalog.now()
     WHERE c.id = p_call_id;

    v_context := pg_catalog.jsonb_build_object(
        'reason', p_reason,
        'rule', p_rule,
        'previous', pg_catalog.jsonb_build_object(
            'booking_confirmed', v_call.booking_confirmed, 'appointment_made', v_call.appointment_made,
            'session_outcome', v_call.session_outcome, 'appointment_link_status', v_call.appointment_link_status,
            'appointment_id', v_call.appointment_id, 'booking_id', v_call.booking_id),
        'appointments', pg_catalog.to_jsonb(v_appointments),
        'actor', dbguard.acting('actor'),
        'source', dbguard.acting('source'));
    v_alert_type := CASE WHEN pg_catalog.cardinality(v_appointments) > 0 THEN 'booking_flags_rolled_back'
                         WHEN v_call.booking_confirmed THEN 'confirmed_without_appointment'
                         WHEN v_call.appointment_made THEN 'made_without_appointment'
                         ELSE 'booking_flags_rolled_back' END;
    PERFORM dbguard.raise_alert(v_alert_type, 'critical', 'call', p_call_id::text,
        pg_catalog.format('call %s: booking flags rolled back to creation_failed (%s)', p_call_id, p_reason),
        v_context, 'trigger', true, p_rule);
    RETURN dbguard.enqueue_review(p_call_id, p_reason, v_context);
END
$$;


--
-- Name: rule_triggers(regprocedure); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.rule_triggers(p_function regprocedure) RETURNS text[]
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT pg_catalog.array_agg(t.tgrelid::regclass::text || '.' || t.tgname ORDER BY 1)
      FROM pg_catalog.pg_trigger t
     WHERE t.tgfoid = p_function AND NOT t.tgisinternal
$$;


--
-- Name: rule_violation(text, text, text, text, text, text, text, text, text, jsonb, text, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.rule_violation(p_rule text, p_mode text, p_sqlstate text, p_alert_type text, p_entity_type text, p_entity_id text, p_message text, p_detail text, p_hint text, p_details jsonb DEFAULT '{}'::jsonb, p_table text DEFAULT NULL::text, p_column text DEFAULT NULL::text, p_severity text DEFAULT 'warning'::text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_sqlstate pg_catalog.text := CASE WHEN p_sqlstate ~ '^DG0[0-9][0-9]$'
                                       THEN '23Q' || pg_catalog.right(p_sqlstate, 2)
                                       ELSE p_sqlstate END;
BEGIN
    IF p_mode = 'enforce' THEN
        RAISE EXCEPTION USING MESSAGE = p_message, ERRCODE = v_sqlstate,
              DETAIL = coalesce(p_detail, ''), HINT = coalesce(p_hint, ''),
              TABLE = coalesce(p_table, ''), COLUMN = coalesce(p_column, '');
    END IF;
    IF p_mode IN ('alert', 'correct') THEN
        PERFORM dbguard.raise_alert(p_alert_type, coalesce(p_severity, 'warning'), p_entity_type, p_entity_id,
                                    p_message,
                                    coalesce(p_details, '{}'::pg_catalog.jsonb)
                                        || pg_catalog.jsonb_build_object('detail', p_detail, 'mode', p_mode),
                                    'trigger', p_mode = 'correct', p_rule);
    END IF;
    IF p_mode = 'correct' THEN
        RAISE WARNING USING MESSAGE = p_message, ERRCODE = v_sqlstate,
              DETAIL = coalesce(p_detail, ''), HINT = coalesce(p_hint, ''),
              TABLE = coalesce(p_table, ''), COLUMN = coalesce(p_column, '');
    END IF;
    RETURN p_mode = 'correct';
END
$_$;


--
-- Name: secure_function(regprocedure, boolean); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.secure_function(p_function regprocedure, p_definer boolean DEFAULT false) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- regprocedure's text is the quoted, schema-qualified signature from the catalog.
    EXECUTE pg_catalog.format('ALTER FUNCTION %s %s SET search_path = pg_catalog, pg_temp',
                              p_function, CASE WHEN p_definer THEN 'SECURITY DEFINER' ELSE '' END);
    EXECUTE pg_catalog.format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', p_function);
END
$$;


--
-- Name: source_lifecycle(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.source_lifecycle(p_source text, OUT booking_source text, OUT created_by text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- The source as mapped (the common case): one look-up by the key, without
    -- lower-casing every mapping.
    SELECT sm.booking_source, sm.created_by
      INTO booking_source, created_by
      FROM dbguard.source_mappings sm
     WHERE sm.source = p_source;
    IF FOUND THEN
        RETURN;
    END IF;
    SELECT sm.booking_source, sm.created_by
      INTO booking_source, created_by
      FROM dbguard.source_mappings sm
     WHERE pg_catalog.lower(sm.source) = pg_catalog.lower(pg_catalog.btrim(p_source))
     ORDER BY sm.source = p_source DESC, sm.source
     LIMIT 1;
END
$$;


--
-- Name: take_pending_lead_rollups(integer); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.take_pending_lead_rollups(p_limit integer DEFAULT 100) RETURNS SETOF bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN QUERY
    DELETE FROM dbguard.pending_lead_rollups p
     WHERE p.lead_id IN (SELECT q.lead_id FROM dbguard.pending_lead_rollups q
                          ORDER BY q.lead_id
                          LIMIT greatest(1, least(coalesce(p_limit, 100), 10000))
                            FOR UPDATE SKIP LOCKED)
    RETURNING p.lead_id;
END
$$;


--
-- Name: tg_appointment_events__before_row(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_appointment_events__before_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Compiled by dbguard.compile_rules() from dbguard.rule_fragments: do not edit;
-- change a rule's mode (dbguard rules set-mode) or its source instead.
BEGIN
    IF TG_RELID <> 'public.appointment_events'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointment_events__before_row() is a trigger of public.appointment_events only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF (TG_OP = 'INSERT')
       OR (TG_OP = 'UPDATE' AND NEW.details IS DISTINCT FROM OLD.details) THEN
    <<pii_redaction>>
DECLARE
    v_value pg_catalog.jsonb;
    v_redacted pg_catalog.jsonb;
    v_json pg_catalog.text;
    v_text pg_catalog.text;
BEGIN
    v_value := NEW.details;
    v_json := v_value::pg_catalog.text;
    -- The first test: an '@', a phone-like key, or the tail of a phone number
    -- JSON without any of them cannot hold PII.
    IF v_json IS NULL
       OR v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          AND v_json !~ ('[0-9](?:[ ()\-/]{0,2}[0-9]){6}(?![0-9A-Za-z_\-])'
                         '|\+[0-9](?:[ ().\-/]{0,2}[0-9]){6}'
                         '|[0-9]{3}[ .\-][0-9]{4}(?![0-9A-Za-z_\-])') THEN
        EXIT pii_redaction;
    END IF;
    IF v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")' THEN
        -- A second test for what the tail test leaves: a fraction joined to a
        -- negative UTC offset ('.000001-08:00') looks like a phone's tail.
        IF pg_catalog.regexp_replace(v_json,
               '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:[0-9]{2}|Z)?"', '', 'g')
           !~ '([0-9][^0-9]*){6}' THEN
            EXIT pii_redaction;
        END IF;
        -- The string values, each as stored (unescaped), joined by a space.
        v_text := (SELECT pg_catalog.string_agg(x.item #>> '{}', ' ')
                     FROM pg_catalog.jsonb_path_query(v_value, 'strict $.**') AS x (item)
                    WHERE pg_catalog.jsonb_typeof(x.item) = 'string');
        IF v_text IS NULL OR dbguard.redact_pii_text(v_text) = v_text THEN
            EXIT pii_redaction;
        END IF;
    END IF;
    v_redacted := dbguard.redact_pii(v_value);
    IF v_redacted IS NOT DISTINCT FROM v_value THEN
        EXIT pii_redaction;
    END IF;
    NEW.details := v_redacted;
    EXIT pii_redaction;
END pii_redaction;
    END IF;
    RETURN NEW;
END
$_$;


--
-- Name: tg_appointments__after_row(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_appointments__after_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Compiled by dbguard.compile_rules() from dbguard.rule_fragments: do not edit;
-- change a rule's mode (dbguard rules set-mode) or its source instead.
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__after_row() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF (TG_OP = 'UPDATE' AND ROW(NEW.lead_id, NEW.customer_id) IS DISTINCT FROM ROW(OLD.lead_id, OLD.customer_id)) THEN
    <<reschedule_chain>>
DECLARE
    v_mode constant pg_catalog.text := 'correct';
    v_row pg_catalog.text := NEW.id::pg_catalog.text;
    v_pairs pg_catalog.jsonb;
BEGIN
    -- This row moved to another lead or customer (an AFTER trigger: a statement
    -- that moves a whole chain is checked once every row of it has moved).
    -- Every link from or to it that now crosses leads, as the rows are now.
    SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
               'appointment_id', x.s_id, 'rescheduled_from_id', x.p_id,
               'lead_id', x.s_lead, 'customer_id', x.s_customer,
               'predecessor_lead_id', x.p_lead, 'predecessor_customer_id', x.p_customer) ORDER BY x.s_id)
      INTO v_pairs
      FROM (SELECT s.id AS s_id, s.lead_id AS s_lead, s.customer_id AS s_customer,
                   p.id AS p_id, p.lead_id AS p_lead, p.customer_id AS p_customer
              FROM public.appointments s JOIN public.appointments p ON p.id = s.rescheduled_from_id
             WHERE s.id = NEW.id
            UNION ALL
            SELECT s.id, s.lead_id, s.customer_id, p.id, p.lead_id, p.customer_id
              FROM public.appointments p JOIN public.appointments s ON s.rescheduled_from_id = p.id
             WHERE p.id = NEW.id AND s.id <> p.id) x
     WHERE NOT coalesce(x.s_lead = x.p_lead OR x.s_customer = x.p_customer, false)
       AND coalesce(x.s_lead <> x.p_lead OR x.s_customer <> x.p_customer, false);
    IF v_pairs IS NOT NULL AND dbguard.rule_violation('reschedule_chain', v_mode, '23Q05',
           'reschedule_chain_violation', 'appointment', v_row,
           pg_catalog.format('dbguard: public.appointments row %s moved to lead %s / customer %s; these '
                             'reschedule links now cross leads: %s',
                             v_row, coalesce(NEW.lead_id::pg_catalog.text, 'NULL'),
                             coalesce(NEW.customer_id::pg_catalog.text, 'NULL'), v_pairs),
           'a reschedule chain belongs to one lead or customer',
           'Move the whole chain in one statement, or clear rescheduled_from_id of the appointments that '
           'should leave it first.',
           pg_catalog.jsonb_build_object('appointment_id', NEW.id, 'links', v_pairs,
                                         'problem', 'moved to another lead/customer'),
           'public.appointments', 'lead_id') THEN
        UPDATE public.appointments a
           SET rescheduled_from_id = NULL
         WHERE a.id IN (SELECT (x ->> 'appointment_id')::pg_catalog.int8
                          FROM pg_catalog.jsonb_array_elements(v_pairs) x);
    END IF;
END reschedule_chain;
    END IF;
    RETURN NULL;
END
$$;


--
-- Name: tg_appointments__before_row(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_appointments__before_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
-- Compiled by dbguard.compile_rules() from dbguard.rule_fragments: do not edit;
-- change a rule's mode (dbguard rules set-mode) or its source instead.
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__before_row() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF (TG_OP = 'INSERT') THEN
    <<creation_metadata>>
DECLARE
    v_derived record;
    v_source_booking pg_catalog.text;
    v_source_actor pg_catalog.text;
BEGIN
    -- The written value, else the setting, else what the row's source says
    -- (dbguard.source_lifecycle), else 'unknown'. A setting that is a legacy
    -- source such as 'cal.com' is mapped too.
    IF NEW.source IS NOT NULL
       AND ((NEW.booking_source IS NULL AND NULLIF(pg_catalog.current_setting('dbguard.source', true), '') IS NULL)
            OR (NEW.created_by IS NULL AND NULLIF(pg_catalog.current_setting('dbguard.actor', true), '') IS NULL)) THEN
        -- The source as written is source_lifecycle's own first look-up, here
        -- without a call; a case or blank variant goes through the function.
        SELECT sm.booking_source, sm.created_by INTO v_source_booking, v_source_actor
          FROM dbguard.source_mappings sm
         WHERE sm.source = NEW.source;
        IF NOT FOUND THEN
            v_derived := dbguard.source_lifecycle(NEW.source);
            v_source_booking := v_derived.booking_source;
            v_source_actor := v_derived.created_by;
        END IF;
    END IF;
    NEW.booking_source := coalesce(NEW.booking_source,
                                   dbguard.mapped_booking_source(NULLIF(pg_catalog.current_setting('dbguard.source', true), '')),
                                   NULLIF(pg_catalog.current_setting('dbguard.source', true), ''),
                                   v_source_booking, 'unknown');
    NEW.created_by := coalesce(NEW.created_by, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''),
                               v_source_actor, 'unknown');

    -- Codes taken from dbguard.source_mappings are in their vocabularies (its
    -- foreign keys); any other pair is looked up, both codes in one query
    -- (neither is NULL here).
    IF (NEW.booking_source IS DISTINCT FROM v_source_booking OR NEW.created_by IS DISTINCT FROM v_source_actor)
       AND (SELECT pg_catalog.count(*) FROM dbguard.vocabularies v
         WHERE (v.vocabulary = 'booking_source' AND v.code = NEW.booking_source)
            OR (v.vocabulary = 'actor' AND v.code = NEW.created_by)) < 2 THEN
        IF NOT dbguard.in_vocabulary('booking_source', NEW.booking_source) THEN
            NEW.booking_source := dbguard.vocabulary_value('creation_metadata', 'correct', 'booking_source', NEW.booking_source, 'unknown',
                                                           'appointment', 'public.appointments', 'booking_source', NEW.id::pg_catalog.text);
        END IF;
        IF NOT dbguard.in_vocabulary('actor', NEW.created_by) THEN
            NEW.created_by := dbguard.vocabulary_value('creation_metadata', 'correct', 'actor', NEW.created_by, 'unknown',
                                                       'appointment', 'public.appointments', 'created_by', NEW.id::pg_catalog.text);
        END IF;
    END IF;
    -- source is the legacy free-text channel: kept as written, else the booking source.
    NEW.source := coalesce(NEW.source, NEW.booking_source);
    EXIT creation_metadata;
END creation_metadata;
    END IF;

    IF (TG_OP = 'INSERT' AND (NEW.metadata IS NOT NULL))
       OR (TG_OP = 'UPDATE' AND NEW.metadata IS DISTINCT FROM OLD.metadata) THEN
    <<pii_redaction>>
DECLARE
    v_value pg_catalog.jsonb;
    v_redacted pg_catalog.jsonb;
    v_json pg_catalog.text;
    v_text pg_catalog.text;
BEGIN
    v_value := NEW.metadata;
    v_json := v_value::pg_catalog.text;
    -- The first test: an '@', a phone-like key, or the tail of a phone number
    -- JSON without any of them cannot hold PII.
    IF v_json IS NULL
       OR v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")'
          AND v_json !~ ('[0-9](?:[ ()\-/]{0,2}[0-9]){6}(?![0-9A-Za-z_\-])'
                         '|\+[0-9](?:[ ().\-/]{0,2}[0-9]){6}'
                         '|[0-9]{3}[ .\-][0-9]{4}(?![0-9A-Za-z_\-])') THEN
        EXIT pii_redaction;
    END IF;
    IF v_json !~ '@' AND v_json !~* '(phone|mobile|msisdn|whatsapp|fax|"tel")' THEN
        -- A second test for what the tail test leaves: a fraction joined to a
        -- negative UTC offset ('.000001-08:00') looks like a phone's tail.
        IF pg_catalog.regexp_replace(v_json,
               '"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([+-][0-9]{2}:[0-9]{2}|Z)?"', '', 'g')
           !~ '([0-9][^0-9]*){6}' THEN
            EXIT pii_redaction;
        END IF;
        -- The string values, each as stored (unescaped), joined by a space.
        v_text := (SELECT pg_catalog.string_agg(x.item #>> '{}', ' ')
                     FROM pg_catalog.jsonb_path_query(v_value, 'strict $.**') AS x (item)
                    WHERE pg_catalog.jsonb_typeof(x.item) = 'string');
        IF v_text IS NULL OR dbguard.redact_pii_text(v_text) = v_text THEN
            EXIT pii_redaction;
        END IF;
    END IF;
    v_redacted := dbguard.redact_pii(v_value);
    IF v_redacted IS NOT DISTINCT FROM v_value THEN
        EXIT pii_redaction;
    END IF;
    NEW.metadata := v_redacted;
    EXIT pii_redaction;
END pii_redaction;
    END IF;

    IF (TG_OP = 'INSERT' AND (NEW.status IS NOT DISTINCT FROM 'cancelled' OR NEW.cancelled_at IS NOT NULL OR NEW.cancelled_by IS NOT NULL OR (NEW.status_changed_at IS NULL AND NEW.status IS NOT NULL)))
       OR (TG_OP = 'UPDATE' AND (NEW.status IS DISTINCT FROM OLD.status OR NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at OR NEW.cancelled_by IS DISTINCT FROM OLD.cancelled_by OR (NEW.status IS NOT DISTINCT FROM 'cancelled') <> (NEW.cancelled_at IS NOT NULL))) THEN
    <<cancellation_metadata>>
DECLARE
    v_mode constant pg_catalog.text := 'correct';
    v_insert boolean := TG_OP = 'INSERT';
    v_was_cancelled boolean := TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM 'cancelled';
    v_at_written boolean;
    v_row pg_catalog.text := NEW.id::pg_catalog.text;
    v_details pg_catalog.jsonb;
BEGIN
    v_at_written := NEW.cancelled_at IS NOT NULL
                    AND (v_insert OR NEW.cancelled_at IS DISTINCT FROM OLD.cancelled_at);
    v_details := pg_catalog.jsonb_build_object('appointment_id', NEW.id, 'status', NEW.status,
                                               'cancelled_at', NEW.cancelled_at);

    IF NEW.status IS NOT DISTINCT FROM 'cancelled' AND NEW.cancelled_at IS NULL THEN
        IF NOT v_was_cancelled THEN
            NEW.cancelled_at := CASE WHEN v_insert AND NEW.status_changed_at <> pg_catalog.now() THEN NEW.status_changed_at
                                     WHEN v_insert AND NEW.updated_at <> pg_catalog.now() THEN NEW.updated_at
                                     WHEN NOT v_insert AND NEW.status_changed_at IS DISTINCT FROM OLD.status_changed_at
                                          AND NEW.status_changed_at IS NOT NULL THEN NEW.status_changed_at
                                     ELSE pg_catalog.now() END;
        ELSIF dbguard.rule_violation('cancellation_metadata', v_mode, '23Q07', 'cancelled_without_cancelled_at',
                  'appointment', v_row,
                  pg_catalog.format('dbguard: public.appointments row %s: status ''cancelled'' but cancelled_at is NULL', v_row),
                  'a cancelled appointment records when it was cancelled',
                  'Keep cancelled_at when the appointment stays cancelled, or change status as well.',
                  v_details, 'public.appointments', 'cancelled_at') THEN
            NEW.cancelled_at := coalesce(OLD.cancelled_at, NEW.status_changed_at, pg_catalog.now());
        END IF;
    ELSIF NEW.status IS DISTINCT FROM 'cancelled' AND NEW.cancelled_at IS NOT NULL THEN
        IF v_was_cancelled AND NOT v_at_written THEN
            -- Reactivation: the cancellation no longer holds; history keeps it.
            NEW.cancelled_at := NULL;
            IF NEW.cancelled_by IS NOT DISTINCT FROM OLD.cancelled_by THEN
                NEW.cancelled_by := NULL;
            END IF;
            IF NEW.cancelled_by_user_id IS NOT DISTINCT FROM OLD.cancelled_by_user_id THEN
                NEW.cancelled_by_user_id := NULL;
            END IF;
            IF NEW.cancellation_reason IS NOT DISTINCT FROM OLD.cancellation_reason THEN
                NEW.cancellation_reason := NULL;
            END IF;
        ELSIF v_at_written THEN
            IF dbguard.rule_violation('cancellation_metadata', v_mode, '23Q07', 'cancelled_at_without_cancelled_status',
                   'appointment', v_row,
                   pg_catalog.format('dbguard: public.appointments row %s: cancelled_at is set but status is %L, not ''cancelled''',
                                     v_row, NEW.status),
                   'cancelled_at is only set on cancelled appointments',
                   'Cancel with status = ''cancelled'' (cancelled_at is then filled), or leave cancelled_at NULL.',
                   v_details, 'public.appointments', 'status') THEN
                NEW.status := 'cancelled';
            END IF;
        ELSIF dbguard.rule_violation('cancellation_metadata', v_mode, '23Q07', 'cancelled_at_without_cancelled_status',
                  'appointment', v_row,
                  pg_catalog.format('dbguard: public.appointments row %s: status %L still carries cancelled_at', v_row, NEW.status),
                  'cancelled_at is only set on cancelled appointments',
                  'Clear cancelled_at, cancelled_by and cancelled_by_user_id, or set status = ''cancelled''.',
                  v_details, 'public.appointments', 'cancelled_at') THEN
            NEW.cancelled_at := NULL;
            NEW.cancelled_by := NULL;
            NEW.cancelled_by_user_id := NULL;
        END IF;
    END IF;

    -- Who cancelled: only when the row becomes cancelled in this statement, so
    -- that later edits of a cancelled row never rewrite the cancellation.
    IF NEW.status IS NOT DISTINCT FROM 'cancelled' AND NOT v_was_cancelled THEN
        IF v_insert OR NEW.cancelled_by IS NOT DISTINCT FROM OLD.cancelled_by THEN
            NEW.cancelled_by := coalesce(CASE WHEN v_insert THEN NEW.cancelled_by END, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'system');
        END IF;
        IF v_insert OR NEW.cancelled_by_user_id IS NOT DISTINCT FROM OLD.cancelled_by_user_id THEN
            NEW.cancelled_by_user_id := coalesce(CASE WHEN v_insert THEN NEW.cancelled_by_user_id END, CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN dbguard.acting_user_id() END);
        END IF;
        IF v_insert OR NEW.cancellation_reason IS NOT DISTINCT FROM OLD.cancellation_reason THEN
            NEW.cancellation_reason := coalesce(CASE WHEN v_insert THEN NEW.cancellation_reason END, NULLIF(pg_catalog.current_setting('dbguard.reason', true), ''));
        END IF;
    END IF;
    IF v_insert OR NEW.cancelled_by IS DISTINCT FROM OLD.cancelled_by THEN
        IF NOT (NEW.cancelled_by IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'actor' AND v.code = NEW.cancelled_by)) THEN
            NEW.cancelled_by := dbguard.vocabulary_value('cancellation_metadata', v_mode, 'actor', NEW.cancelled_by, 'unknown',
                                                         'appointment', 'public.appointments', 'cancelled_by', v_row);
        END IF;
    END IF;

    IF v_insert THEN
        IF NEW.status IS NOT NULL THEN
            NEW.status_changed_at := coalesce(NEW.status_changed_at, pg_catalog.now());
        END IF;
    ELSIF NEW.status IS DISTINCT FROM OLD.status AND NEW.status_changed_at IS NOT DISTINCT FROM OLD.status_changed_at THEN
        NEW.status_changed_at := pg_catalog.now();
    END IF;
    EXIT cancellation_metadata;
END cancellation_metadata;
    END IF;

    IF (TG_OP = 'UPDATE' AND NEW.starts_at IS DISTINCT FROM OLD.starts_at AND (OLD.starts_at IS NOT NULL AND NEW.starts_at IS NOT NULL)) THEN
    <<reschedule_metadata>>
DECLARE
    v_mode constant pg_catalog.text := 'correct';
BEGIN
    IF NEW.rescheduled_at IS NOT DISTINCT FROM OLD.rescheduled_at THEN
        NEW.rescheduled_at := pg_catalog.now();
    END IF;
    IF NEW.rescheduled_by IS NOT DISTINCT FROM OLD.rescheduled_by THEN
        NEW.rescheduled_by := coalesce(NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'system');
    END IF;
    IF NEW.rescheduled_by_user_id IS NOT DISTINCT FROM OLD.rescheduled_by_user_id THEN
        -- The user of this reschedule, or NULL: an earlier reschedule's user is not this one.
        NEW.rescheduled_by_user_id := CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN dbguard.acting_user_id() END;
    END IF;
    IF NEW.ends_at IS NOT DISTINCT FROM OLD.ends_at AND OLD.ends_at IS NOT NULL THEN
        NEW.ends_at := NEW.starts_at + (OLD.ends_at - OLD.starts_at);
    END IF;
    IF NOT (NEW.rescheduled_by IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'actor' AND v.code = NEW.rescheduled_by)) THEN
        NEW.rescheduled_by := dbguard.vocabulary_value('reschedule_metadata', v_mode, 'actor', NEW.rescheduled_by, 'unknown',
                                                       'appointment', 'public.appointments', 'rescheduled_by', NEW.id::pg_catalog.text);
    END IF;
    EXIT reschedule_metadata;
END reschedule_metadata;
    END IF;

    IF (TG_OP = 'INSERT' AND (NEW.rescheduled_from_id IS NOT NULL))
       OR (TG_OP = 'UPDATE' AND NEW.rescheduled_from_id IS DISTINCT FROM OLD.rescheduled_from_id AND (NEW.rescheduled_from_id IS NOT NULL)) THEN
    <<reschedule_chain>>
DECLARE
    v_mode constant pg_catalog.text := 'correct';
    v_row pg_catalog.text := NEW.id::pg_catalog.text;
    v_pred record;
    v_problem pg_catalog.text;
    v_detail pg_catalog.text;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- Two links written at once (A -> B, B -> A) would each miss the other
        -- and close a cycle: changes of existing links take turns, and the
        -- checks below, as new statements, then see the committed links.
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('dbguard.reschedule_chain'));
    END IF;

    -- Locked before its lead is compared: a move of the predecessor to another
    -- lead that is not yet committed would otherwise pass unseen (each session
    -- checks against what the other has not committed). NO KEY UPDATE, the lock
    -- taken anyway to retire it, so two successors of one row do not deadlock.
    SELECT a.id, a.lead_id, a.customer_id, a.status,
           coalesce(v.is_active, false) AS is_active
      INTO v_pred
      FROM public.appointments a
      LEFT JOIN dbguard.vocabularies v ON v.vocabulary = 'appointment_status' AND v.code = a.status
     WHERE a.id = NEW.rescheduled_from_id
       FOR NO KEY UPDATE OF a;

    IF NEW.rescheduled_from_id = NEW.id THEN
        v_problem := 'points to itself';
        v_detail := 'an appointment cannot replace itself';
    ELSIF NOT FOUND THEN
        IF TG_OP = 'UPDATE' OR v_mode = 'alert' THEN
            -- A missing predecessor is the foreign key's to refuse.
            EXIT reschedule_chain;
        END IF;
        v_problem := 'names an appointment that does not exist (yet)';
        v_detail := 'the appointment this one replaces must be written first: in an earlier statement, '
                    'or earlier in the same INSERT';
    ELSIF NOT coalesce(NEW.lead_id = v_pred.lead_id OR NEW.customer_id = v_pred.customer_id, false)
          AND coalesce(NEW.lead_id <> v_pred.lead_id OR NEW.customer_id <> v_pred.customer_id, false) THEN
        v_problem := pg_catalog.format('points to appointment %s of another lead/customer', v_pred.id);
        v_detail := pg_catalog.format('this row: lead %s, customer %s; appointment %s: lead %s, customer %s',
                                      coalesce(NEW.lead_id::pg_catalog.text, 'NULL'), coalesce(NEW.customer_id::pg_catalog.text, 'NULL'), v_pred.id,
                                      coalesce(v_pred.lead_id::pg_catalog.text, 'NULL'), coalesce(v_pred.customer_id::pg_catalog.text, 'NULL'));
    ELSIF TG_OP = 'UPDATE' AND EXISTS (
            WITH RECURSIVE chain (id, rescheduled_from_id) AS (
                SELECT a.id, a.rescheduled_from_id FROM public.appointments a WHERE a.id = NEW.rescheduled_from_id
                UNION
                SELECT a.id, a.rescheduled_from_id FROM public.appointments a JOIN chain c ON a.id = c.rescheduled_from_id)
            SELECT 1 FROM chain WHERE chain.id = NEW.id) THEN
        v_problem := pg_catalog.format('makes a cycle through appointment %s', NEW.rescheduled_from_id);
        v_detail := 'following rescheduled_from_id from this row leads back to it';
    END IF;

    IF v_problem IS NOT NULL THEN
        IF dbguard.rule_violation('reschedule_chain', v_mode, '23Q05', 'reschedule_chain_violation', 'appointment', v_row,
               pg_catalog.format('dbguard: public.appointments row %s: rescheduled_from_id = %s %s',
                                 v_row, NEW.rescheduled_from_id, v_problem),
               v_detail,
               'rescheduled_from_id must name the earlier appointment of the same lead or customer that this one replaces.',
               pg_catalog.jsonb_build_object('appointment_id', NEW.id, 'rescheduled_from_id', NEW.rescheduled_from_id,
                                             'problem', v_problem),
               'public.appointments', 'rescheduled_from_id') THEN
            NEW.rescheduled_from_id := CASE WHEN TG_OP = 'UPDATE' THEN OLD.rescheduled_from_id END;
        END IF;
        EXIT reschedule_chain;
    END IF;
    NEW.lead_id := coalesce(NEW.lead_id, v_pred.lead_id);
    NEW.customer_id := coalesce(NEW.customer_id, v_pred.customer_id);
    -- The locks are taken in the order every other write takes them -- the
    -- appointment row, then the call, then the lead: retiring the predecessor
    -- here (its update refreshes the lead's rollup: a lock on the lead) before
    -- this row's appointment_link_sync locks the call would deadlock with a
    -- booking on the same call and lead. Locking the predecessor also
    -- re-reads its status: one cancelled meanwhile stays cancelled.
    IF v_pred.is_active THEN
        SELECT coalesce(v.is_active, false) INTO v_pred.is_active
          FROM public.appointments a
          LEFT JOIN dbguard.vocabularies v ON v.vocabulary = 'appointment_status' AND v.code = a.status
         WHERE a.id = v_pred.id
           FOR NO KEY UPDATE OF a;
    END IF;
    IF v_pred.is_active THEN
        PERFORM 1 FROM public.calls c WHERE c.id = NEW.call_id FOR NO KEY UPDATE OF c;
        UPDATE public.appointments a
           SET status = 'rescheduled',
               rescheduled_at = pg_catalog.now(),
               rescheduled_by = dbguard.vocabulary_value('reschedule_chain', v_mode, 'actor', coalesce(dbguard.acting('actor'), 'system'), 'unknown',
                                                         'appointment', 'public.appointments', 'rescheduled_by', v_pred.id::pg_catalog.text),
               rescheduled_by_user_id = dbguard.acting_user_id()
         WHERE a.id = v_pred.id;
    END IF;
    EXIT reschedule_chain;
END reschedule_chain;
    END IF;

    IF (TG_OP = 'INSERT' AND (NEW.calcom_host_id IS NOT NULL AND NEW.staff_id IS NULL))
       OR (TG_OP = 'UPDATE' AND ROW(NEW.calcom_host_id, NEW.company_id) IS DISTINCT FROM ROW(OLD.calcom_host_id, OLD.company_id) AND (NEW.calcom_host_id IS NOT NULL AND NEW.staff_id IS NULL)) THEN
    <<host_staff_assignment>>
DECLARE
    v_mapping  record;
BEGIN
    IF NEW.company_id IS NULL THEN
        EXIT host_staff_assignment;
    END IF;
    SELECT m.id, m.staff_id INTO v_mapping FROM public.calcom_host_mappings m
     WHERE m.id = dbguard.active_host_mapping(NEW.company_id, NEW.calcom_host_id);
    IF NOT FOUND THEN
        EXIT host_staff_assignment;
    END IF;
    NEW.staff_id := v_mapping.staff_id;
    EXIT host_staff_assignment;
END host_staff_assignment;
    END IF;

    IF (TG_OP = 'INSERT' AND (NEW.staff_id IS NOT NULL))
       OR (TG_OP = 'UPDATE' AND ROW(NEW.staff_id, NEW.company_id, NEW.calcom_host_id) IS DISTINCT FROM ROW(OLD.staff_id, OLD.company_id, OLD.calcom_host_id) AND (NEW.staff_id IS NOT NULL)) THEN
    <<staff_tenant_isolation>>
DECLARE
    v_mode           constant pg_catalog.text := 'correct';
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
        EXIT staff_tenant_isolation;
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
    EXIT staff_tenant_isolation;
END staff_tenant_isolation;
    END IF;
    RETURN NEW;
END
$_$;


--
-- Name: tg_appointments__history(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_appointments__history() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_actor pg_catalog.text;
    v_source pg_catalog.text;
    v_user bigint;
    v_reason pg_catalog.text;
    v_events pg_catalog.jsonb;
    v_row public.appointments;
    v_event pg_catalog.text;
BEGIN
    -- Runs as its owner: only on the table(s) it was written for.
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__history() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF TG_WHEN = 'BEFORE' THEN
        -- The only BEFORE trigger of the rule: an UPDATE of the id.
        PERFORM dbguard.rule_violation('appointment_history',
            'enforce', '23Q07', 'appointment_id_changed',
            'appointment', OLD.id::pg_catalog.text,
            pg_catalog.format('dbguard: public.appointments row %s: id cannot change (to %s)', OLD.id, NEW.id),
            'rule appointment_history: the history of an appointment (public.appointment_events) is kept by its id; '
            'a new id would orphan it, or merge it with the history of another appointment that had that id.',
            'Keep the id; put an outside identifier into external_id or a provider id column instead.',
            pg_catalog.jsonb_build_object('old_id', OLD.id, 'new_id', NEW.id),
            'public.appointments', 'id');
        RETURN NEW;
    END IF;

    IF TG_LEVEL = 'STATEMENT' THEN
        -- The inserted rows, in the order they were written. The predecessor's
        -- start is read only for a successor; the user id once per statement,
        -- after the mode check ('off' must not fail on a bad setting).
        INSERT INTO public.appointment_events
            (appointment_id, lead_id, call_id, event, old_status, new_status, old_starts_at, new_starts_at,
             actor, source, user_id, occurred_at, details)
        SELECT n.id, n.lead_id, n.call_id, 'created', NULL, n.status,
               -- a successor shows the time it replaces
               CASE WHEN n.rescheduled_from_id IS NOT NULL THEN
                   (SELECT a.starts_at FROM public.appointments a WHERE a.id = n.rescheduled_from_id) END,
               n.starts_at,
               coalesce(n.created_by, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'unknown'),
               coalesce(NULLIF(pg_catalog.current_setting('dbguard.source', true), ''), n.booking_source),
               CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN (SELECT dbguard.acting_user_id()) END,
               LEAST(coalesce(n.created_at, pg_catalog.now()), pg_catalog.now()),
               pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'booking_source', n.booking_source, 'provider', n.provider, 'ends_at', n.ends_at,
                   'rescheduled_from_id', n.rescheduled_from_id,
                   'reason', NULLIF(pg_catalog.current_setting('dbguard.reason', true), ''),
                   'recorded_at', CASE WHEN n.created_at < pg_catalog.now() THEN pg_catalog.now() END))
          FROM dbguard_new_rows n;
        -- Rows inserted already cancelled (an import of old rows): the
        -- cancellation, at the row's cancelled_at. Looked for first: a booking
        -- has none, and the INSERT's start-up costs more than the look.
        IF NOT EXISTS (SELECT 1 FROM dbguard_new_rows n WHERE n.status = 'cancelled') THEN
            RETURN NULL;
        END IF;
        INSERT INTO public.appointment_events
            (appointment_id, lead_id, call_id, event, old_status, new_status, old_starts_at, new_starts_at,
             actor, source, user_id, occurred_at, details)
        SELECT n.id, n.lead_id, n.call_id, 'cancelled', NULL, n.status, NULL, n.starts_at,
               coalesce(n.cancelled_by, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'system'),
               NULLIF(pg_catalog.current_setting('dbguard.source', true), ''),
               coalesce(n.cancelled_by_user_id,
                        CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN (SELECT dbguard.acting_user_id()) END),
               GREATEST(LEAST(coalesce(n.created_at, pg_catalog.now()), pg_catalog.now()),
                        LEAST(coalesce(n.cancelled_at, pg_catalog.now()), pg_catalog.now())),
               pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
                   'cancelled_at', n.cancelled_at, 'cancellation_reason', n.cancellation_reason,
                   'reason', NULLIF(pg_catalog.current_setting('dbguard.reason', true), ''),
                   'recorded_at', CASE WHEN n.created_at < pg_catalog.now() OR n.cancelled_at < pg_catalog.now()
                                       THEN pg_catalog.now() END))
          FROM dbguard_new_rows n
         WHERE n.status = 'cancelled';
        RETURN NULL;
    END IF;

    v_actor := NULLIF(pg_catalog.current_setting('dbguard.actor', true), '');
    v_source := NULLIF(pg_catalog.current_setting('dbguard.source', true), '');
    v_user := CASE WHEN pg_catalog.current_setting('dbguard.user_id', true) <> '' THEN dbguard.acting_user_id() END;
    v_reason := NULLIF(pg_catalog.current_setting('dbguard.reason', true), '');
    v_events := '[]';
    IF TG_OP = 'DELETE' THEN
        v_row := OLD;
        v_events := v_events || pg_catalog.jsonb_build_object(
            'event', 'deleted', 'old_status', OLD.status, 'old_starts_at', OLD.starts_at, 'occurred_at', pg_catalog.now(),
            'actor', coalesce(v_actor, 'system'), 'source', v_source, 'user_id', v_user,
            'details', pg_catalog.jsonb_build_object(
                'booking_source', OLD.booking_source, 'provider', OLD.provider, 'ends_at', OLD.ends_at,
                'rescheduled_from_id', OLD.rescheduled_from_id));
    ELSE
        v_row := NEW;
        IF NEW.status IS DISTINCT FROM OLD.status THEN
            v_event := CASE WHEN NEW.status = 'cancelled' THEN 'cancelled'
                            WHEN OLD.status = 'cancelled' THEN 'reactivated'
                            ELSE 'status_changed' END;
            v_events := v_events || pg_catalog.jsonb_build_object(
                'event', v_event, 'old_status', OLD.status, 'new_status', NEW.status,
                'old_starts_at', OLD.starts_at, 'new_starts_at', NEW.starts_at,
                'occurred_at', LEAST(coalesce(CASE WHEN v_event = 'cancelled' THEN NEW.cancelled_at
                                                   WHEN NEW.status_changed_at IS DISTINCT FROM OLD.status_changed_at
                                                   THEN NEW.status_changed_at END,
                                              pg_catalog.now()), pg_catalog.now()),
                'actor', CASE WHEN v_event = 'cancelled' THEN coalesce(NEW.cancelled_by, v_actor, 'system')
                              ELSE coalesce(v_actor, 'system') END,
                'source', v_source,
                'user_id', CASE WHEN v_event = 'cancelled' THEN coalesce(NEW.cancelled_by_user_id, v_user) ELSE v_user END,
                'details', CASE v_event
                    WHEN 'cancelled' THEN pg_catalog.jsonb_build_object(
                        'cancelled_at', NEW.cancelled_at, 'cancellation_reason', NEW.cancellation_reason)
                    WHEN 'reactivated' THEN pg_catalog.jsonb_build_object(
                        'previous_cancelled_at', OLD.cancelled_at, 'previous_cancelled_by', OLD.cancelled_by,
                        'previous_cancelled_by_user_id', OLD.cancelled_by_user_id,
                        'previous_cancellation_reason', OLD.cancellation_reason)
                    ELSE '{}'::pg_catalog.jsonb END);
        END IF;
        IF NEW.starts_at IS DISTINCT FROM OLD.starts_at THEN
            v_events := v_events || pg_catalog.jsonb_build_object(
                'event', 'rescheduled', 'old_status', OLD.status, 'new_status', NEW.status,
                'old_starts_at', OLD.starts_at, 'new_starts_at', NEW.starts_at,
                'occurred_at', LEAST(coalesce(CASE WHEN NEW.rescheduled_at IS DISTINCT FROM OLD.rescheduled_at
                                                   THEN NEW.rescheduled_at END,
                                              pg_catalog.now()), pg_catalog.now()),
                'actor', CASE WHEN OLD.starts_at IS NOT NULL AND NEW.starts_at IS NOT NULL
                              THEN coalesce(NEW.rescheduled_by, v_actor, 'system')
                              ELSE coalesce(v_actor, 'system') END,
                'source', v_source,
                'user_id', coalesce(CASE WHEN OLD.starts_at IS NOT NULL AND NEW.starts_at IS NOT NULL
                                         THEN NEW.rescheduled_by_user_id END, v_user),
                'details', pg_catalog.jsonb_build_object('old_ends_at', OLD.ends_at, 'new_ends_at', NEW.ends_at));
        END IF;
        IF NEW.lead_id IS DISTINCT FROM OLD.lead_id THEN
            v_events := v_events || pg_catalog.jsonb_build_object(
                'event', 'lead_changed', 'old_status', OLD.status, 'new_status', NEW.status,
                'old_starts_at', OLD.starts_at, 'new_starts_at', NEW.starts_at, 'occurred_at', pg_catalog.now(),
                'actor', coalesce(v_actor, 'system'), 'source', v_source, 'user_id', v_user,
                'details', pg_catalog.jsonb_build_object('old_lead_id', OLD.lead_id, 'new_lead_id', NEW.lead_id));
        END IF;
    END IF;

    INSERT INTO public.appointment_events
        (appointment_id, lead_id, call_id, event, old_status, new_status, old_starts_at, new_starts_at,
         actor, source, user_id, occurred_at, details)
    SELECT v_row.id, v_row.lead_id, v_row.call_id, x.e ->> 'event', x.e ->> 'old_status', x.e ->> 'new_status',
           (x.e ->> 'old_starts_at')::pg_catalog.timestamptz, (x.e ->> 'new_starts_at')::pg_catalog.timestamptz,
           x.e ->> 'actor', x.e ->> 'source', (x.e ->> 'user_id')::bigint,
           (x.e ->> 'occurred_at')::pg_catalog.timestamptz,
           pg_catalog.jsonb_strip_nulls((x.e -> 'details') || pg_catalog.jsonb_build_object('reason', v_reason,
               'recorded_at', CASE WHEN (x.e ->> 'occurred_at')::pg_catalog.timestamptz < pg_catalog.now()
                                   THEN pg_catalog.now() END))
      FROM pg_catalog.jsonb_array_elements(v_events) WITH ORDINALITY AS x(e, ord)
     ORDER BY x.ord;
    RETURN NULL;
END
$$;


--
-- Name: tg_appointments__lead_rollup(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_appointments__lead_rollup() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_leads bigint[];
    v_list text;
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__lead_rollup() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF TG_OP = 'INSERT' THEN
        -- Not made distinct here: the commit step sorts the ids and drops
        -- repeats, and a booking's one row needs neither.
        v_leads := ARRAY(SELECT n.lead_id FROM dbguard_new_rows n WHERE n.lead_id IS NOT NULL);
    ELSIF TG_OP = 'DELETE' THEN
        v_leads := ARRAY(SELECT DISTINCT o.lead_id FROM dbguard_old_rows o WHERE o.lead_id IS NOT NULL);
    ELSE
        v_leads := ARRAY(
            SELECT DISTINCT x.lead_id
              FROM dbguard_new_rows n
              FULL JOIN dbguard_old_rows o ON o.id = n.id
             CROSS JOIN LATERAL (VALUES (n.lead_id), (o.lead_id)) x (lead_id)
             WHERE x.lead_id IS NOT NULL
               AND (n.lead_id, n.status, n.starts_at, n.ends_at, n.cancelled_at, n.provider, n.booking_source)
                   IS DISTINCT FROM
                   (o.lead_id, o.status, o.starts_at, o.ends_at, o.cancelled_at, o.provider, o.booking_source));
    END IF;
    IF pg_catalog.cardinality(v_leads) = 0 THEN
        RETURN NULL;
    END IF;
    v_list := coalesce(pg_catalog.current_setting('dbguard.lead_rollup_leads', true), '');
    IF v_list = '' THEN
        -- The transaction's first write (a booking): an assignment starts no
        -- query.
        v_list := pg_catalog.set_config('dbguard.lead_rollup_leads', pg_catalog.array_to_string(v_leads, ','), true);
    ELSE
        v_leads := v_leads || dbguard.lead_rollup_pending_ids(v_list);
        PERFORM pg_catalog.set_config('dbguard.lead_rollup_leads',
            (SELECT pg_catalog.string_agg(DISTINCT l::text, ',') FROM pg_catalog.unnest(v_leads) l), true);
    END IF;
    -- Deferred (the default), the step queued by this statement's first row is
    -- still pending and the flag is on. When it is off, that step has run
    -- already, before this statement trigger (SET CONSTRAINTS ... IMMEDIATE
    -- fires row events first): run it now.
    IF pg_catalog.current_setting('dbguard.lead_rollup_queued', true) IS DISTINCT FROM 'on' THEN
        PERFORM dbguard.lead_rollup_step('correct');
    END IF;
    RETURN NULL;
END
$$;


--
-- Name: tg_appointments__lead_rollup_at_commit(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_appointments__lead_rollup_at_commit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_ignored pg_catalog.text;
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__lead_rollup_at_commit() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    -- an assignment, not PERFORM: no query is started for the call
    v_ignored := dbguard.lead_rollup_step('correct');
    RETURN NULL;
END
$$;


--
-- Name: tg_appointments__link_sync(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_appointments__link_sync() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_mode text := 'correct';
    v_call_ids bigint[];
    v_call_id bigint;
    v_call public.calls;
    v_appointment_id bigint;
    v_status text;
    v_linked_at timestamptz;
    v_outcome text;
    v_marker text;
BEGIN
    IF TG_RELID NOT IN ('public.appointments'::pg_catalog.regclass, 'public.calls'::pg_catalog.regclass) THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__link_sync() is a trigger of public.appointments and public.calls only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;

    IF TG_TABLE_NAME = 'calls' THEN
        IF TG_OP = 'INSERT' AND NEW.appointment_link_status IS NULL THEN
            -- A new call has no appointment yet (the foreign key guarantees
            -- it): 'unlinked' is the only value it can derive, in every mode.
            -- Filling a derived value is maintenance, not a repair: no alert
            -- (an import of calls would otherwise record one per row).
            NEW.appointment_link_status := 'unlinked';
        ELSIF NOT (NEW.appointment_link_status IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'link_status' AND v.code = NEW.appointment_link_status)) THEN
            -- An unknown status is treated as not given: derived from the appointments.
            NEW.appointment_link_status := dbguard.vocabulary_value('appointment_link_sync', v_mode, 'link_status',
                NEW.appointment_link_status,
                CASE WHEN EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = NEW.id) THEN 'linked' ELSE 'unlinked' END,
                'call', 'public.calls', 'appointment_link_status', NEW.id::text);
        END IF;
        RETURN NEW;
    END IF;

    IF TG_OP = 'INSERT' AND v_mode <> 'alert' THEN
        SELECT c.appointment_link_status INTO v_status FROM public.calls c WHERE c.id = NEW.call_id FOR NO KEY UPDATE OF c;
        UPDATE public.calls c
           SET appointment_link_status = 'linked',
               appointment_linked_at = CASE WHEN c.appointment_id = s.newest AND c.appointment_link_status = 'linked'
                                            THEN coalesce(c.appointment_linked_at, pg_catalog.now())
                                            ELSE pg_catalog.now() END,
               appointment_id = s.newest,
               appointment_made = true,
               session_outcome = 'appointment_booked',
               updated_at = pg_catalog.now()
          FROM (SELECT max(a.id) AS newest,
                       -- set before the call's row is written, so its triggers see it
                       pg_catalog.set_config('dbguard.linking_call', NEW.call_id::text, true) AS marker
                  FROM public.appointments a WHERE a.call_id = NEW.call_id) s
         WHERE c.id = NEW.call_id AND s.newest IS NOT NULL
           AND (c.appointment_link_status = 'linked' AND c.appointment_id = s.newest
                AND c.appointment_linked_at IS NOT NULL AND c.appointment_made
                AND c.session_outcome = 'appointment_booked') IS NOT TRUE;
        v_marker := pg_catalog.set_config('dbguard.linking_call', '', true);
        IF v_status = 'creation_failed' THEN
            PERFORM dbguard.restore_rolled_back_claim(NEW.call_id);
        END IF;
        RETURN NULL;
    END IF;

    -- The calls that gained or lost an appointment, locked in id order so
    -- that two sessions moving appointments between the same calls cannot
    -- deadlock. FOR NO KEY UPDATE, not FOR UPDATE: it coexists with the
    -- FOR KEY SHARE the foreign key takes on the same call.
    -- Plain assignments, not queries: the WHEN clauses guarantee the call_id of
    -- an insert or delete is set.
    IF TG_OP = 'INSERT' THEN
        v_call_ids := ARRAY[NEW.call_id];
    ELSIF TG_OP = 'DELETE' THEN
        v_call_ids := ARRAY[OLD.call_id];
    ELSE
        v_call_ids := ARRAY(SELECT DISTINCT x FROM pg_catalog.unnest(ARRAY[OLD.call_id, NEW.call_id]) x
                             WHERE x IS NOT NULL ORDER BY x);
    END IF;
    -- Two calls: both locked before either is read. One id at a time (the
    -- array is sorted): with '= ANY (array)' the planner built a fresh plan for
    -- every row.
    IF pg_catalog.cardinality(v_call_ids) > 1 THEN
        FOREACH v_call_id IN ARRAY v_call_ids LOOP
            PERFORM 1 FROM public.calls c WHERE c.id = v_call_id FOR NO KEY UPDATE OF c;
        END LOOP;
    END IF;

    FOREACH v_call_id IN ARRAY v_call_ids LOOP
        -- Under READ COMMITTED a locking SELECT that waited returns the row as the
        -- other session committed it, and the next statement takes a fresh snapshot.
        SELECT c.* INTO v_call FROM public.calls c WHERE c.id = v_call_id FOR NO KEY UPDATE OF c;
        CONTINUE WHEN NOT FOUND;
        -- The newest appointment represents the call: deterministic,
        -- whatever order the appointments were written in.
        SELECT max(a.id) INTO v_appointment_id FROM public.appointments a WHERE a.call_id = v_call_id;

        IF v_appointment_id IS NOT NULL THEN
            v_status := 'linked';
            v_linked_at := CASE WHEN v_call.appointment_id IS NOT DISTINCT FROM v_appointment_id
                                     AND v_call.appointment_link_status = 'linked'
                                THEN coalesce(v_call.appointment_linked_at, pg_catalog.now())
                                ELSE pg_catalog.now() END;
            v_outcome := 'appointment_booked';
        ELSE
            -- A failed creation stays visible as such; any other status unlinks.
            v_status := CASE WHEN v_call.appointment_link_status = 'creation_failed' THEN 'creation_failed' ELSE 'unlinked' END;
            v_linked_at := NULL;
            v_outcome := CASE WHEN v_call.session_outcome = 'appointment_booked' THEN 'no_appointment' ELSE v_call.session_outcome END;
        END IF;

        CONTINUE WHEN (v_call.appointment_link_status, v_call.appointment_linked_at, v_call.appointment_id,
                       v_call.appointment_made, v_call.session_outcome)
            IS NOT DISTINCT FROM (v_status, v_linked_at, v_appointment_id, v_appointment_id IS NOT NULL, v_outcome);

        IF v_mode = 'alert' THEN
            PERFORM dbguard.raise_alert('link_status_mismatch', 'info', 'call', v_call_id::text,
                pg_catalog.format('call %s does not reflect its appointments (correct mode would set appointment_id %s, status %s)',
                                  v_call_id, coalesce(v_appointment_id::text, 'NULL'), v_status),
                pg_catalog.jsonb_build_object(
                    'appointment', CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END, 'operation', TG_OP,
                    'written', pg_catalog.jsonb_build_object('appointment_link_status', v_call.appointment_link_status,
                        'appointment_id', v_call.appointment_id, 'appointment_made', v_call.appointment_made,
                        'session_outcome', v_call.session_outcome),
                    'expected', pg_catalog.jsonb_build_object('appointment_link_status', v_status,
                        'appointment_id', v_appointment_id, 'appointment_made', v_appointment_id IS NOT NULL,
                        'session_outcome', v_outcome)),
                'trigger', false, 'appointment_link_sync');
        ELSE
            -- Assignments, not PERFORM: a simple expression runs without a query.
            IF v_appointment_id IS NOT NULL THEN
                v_marker := pg_catalog.set_config('dbguard.linking_call', v_call_id::text, true);
            END IF;
            UPDATE public.calls c
               SET appointment_link_status = v_status,
                   appointment_linked_at = v_linked_at,
                   appointment_id = v_appointment_id,
                   appointment_made = v_appointment_id IS NOT NULL,
                   session_outcome = v_outcome,
                   updated_at = pg_catalog.now()
             WHERE c.id = v_call_id;
            IF v_appointment_id IS NOT NULL THEN
                v_marker := pg_catalog.set_config('dbguard.linking_call', '', true);
                IF v_call.appointment_link_status = 'creation_failed' THEN
                    PERFORM dbguard.restore_rolled_back_claim(v_call_id);
                END IF;
            END IF;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;


--
-- Name: tg_calcom_host_mappings__audit(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_calcom_host_mappings__audit() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    c_sync_only constant pg_catalog.text[] := ARRAY['updated_at', 'last_synced_at'];
    v_mode      pg_catalog.text := 'correct';
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


--
-- Name: tg_calcom_host_mappings__before_row(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_calcom_host_mappings__before_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Compiled by dbguard.compile_rules() from dbguard.rule_fragments: do not edit;
-- change a rule's mode (dbguard rules set-mode) or its source instead.
BEGIN
    IF TG_RELID <> 'public.calcom_host_mappings'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_calcom_host_mappings__before_row() is a trigger of public.calcom_host_mappings only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF (TG_OP = 'INSERT' AND (NEW.staff_id IS NOT NULL))
       OR (TG_OP = 'UPDATE' AND ROW(NEW.staff_id, NEW.company_id, NEW.is_active) IS DISTINCT FROM ROW(OLD.staff_id, OLD.company_id, OLD.is_active) AND (NEW.staff_id IS NOT NULL)) THEN
    <<staff_tenant_isolation>>
DECLARE
    v_mode           constant pg_catalog.text := 'correct';
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
        EXIT staff_tenant_isolation;
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
    EXIT staff_tenant_isolation;
END staff_tenant_isolation;
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: tg_calls__before_row(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_calls__before_row() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
-- Compiled by dbguard.compile_rules() from dbguard.rule_fragments: do not edit;
-- change a rule's mode (dbguard rules set-mode) or its source instead.
BEGIN
    IF TG_RELID <> 'public.calls'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_calls__before_row() is a trigger of public.calls only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF (TG_OP = 'INSERT' AND ((NEW.direction IN ('inbound', 'outbound')) IS NOT TRUE))
       OR (TG_OP = 'UPDATE' AND NEW.direction IS DISTINCT FROM OLD.direction AND ((NEW.direction IN ('inbound', 'outbound')) IS NOT TRUE)) THEN
    <<call_direction_default>>
BEGIN
    IF NEW.direction IS NULL THEN
        IF TG_OP = 'INSERT' THEN
            NEW.direction := 'inbound';
        END IF;
        EXIT call_direction_default;
    END IF;
    -- A direction nobody recognises is "not known", like NULL: inbound.
    IF NOT EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'call_direction' AND v.code = NEW.direction) THEN
        NEW.direction := dbguard.vocabulary_value('call_direction_default', 'correct', 'call_direction', NEW.direction,
                                                  'inbound', 'call', 'public.calls', 'direction', NEW.id::pg_catalog.text);
    END IF;
END call_direction_default;
    END IF;

    IF (TG_OP = 'INSERT' AND ((NEW.customer_id IS NULL AND NEW.customer_link_status = 'unlinked' AND NEW.customer_link_method IS NULL) IS NOT TRUE))
       OR (TG_OP = 'UPDATE' AND ROW(NEW.customer_id, NEW.customer_link_status, NEW.customer_linked_at, NEW.customer_link_method, NEW.customer_link_confidence) IS DISTINCT FROM ROW(OLD.customer_id, OLD.customer_link_status, OLD.customer_linked_at, OLD.customer_link_method, OLD.customer_link_confidence)) THEN
    <<customer_link_sync>>
DECLARE
    v_insert boolean := TG_OP = 'INSERT';
    v_customer_changed boolean;
    v_status_given boolean;
    v_target public.calls;
    v_contradiction boolean := false;
BEGIN
    v_customer_changed := v_insert OR NEW.customer_id IS DISTINCT FROM OLD.customer_id;
    -- "Given" = written by this statement: on insert any non-NULL value, on
    -- update a value that differs from the stored one.
    v_status_given := NOT v_insert AND NEW.customer_link_status IS DISTINCT FROM OLD.customer_link_status;

    IF v_insert OR NEW.customer_link_method IS DISTINCT FROM OLD.customer_link_method THEN
        IF NOT (NEW.customer_link_method IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'customer_link_method' AND v.code = NEW.customer_link_method)) THEN
            NEW.customer_link_method := dbguard.vocabulary_value('customer_link_sync', 'correct', 'customer_link_method',
                NEW.customer_link_method, NULL, 'call', 'public.calls', 'customer_link_method', NEW.id::pg_catalog.text);
        END IF;
    END IF;
    IF v_insert OR v_status_given THEN
        -- An unknown status is treated as not given: derived below.
        IF NOT (NEW.customer_link_status IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'link_status' AND v.code = NEW.customer_link_status)) THEN
            NEW.customer_link_status := dbguard.vocabulary_value('customer_link_sync', 'correct', 'link_status',
                NEW.customer_link_status, NULL, 'call', 'public.calls', 'customer_link_status', NEW.id::pg_catalog.text);
        END IF;
    END IF;

    v_target := NEW;
    IF NEW.customer_id IS NOT NULL THEN
        IF v_customer_changed THEN
            v_target.customer_link_status := 'linked';
            IF v_insert OR NEW.customer_linked_at IS NOT DISTINCT FROM OLD.customer_linked_at THEN
                v_target.customer_linked_at := coalesce(CASE WHEN v_insert THEN NEW.customer_linked_at END, pg_catalog.now());
            END IF;
            IF NOT v_insert AND NEW.customer_link_method IS NOT DISTINCT FROM OLD.customer_link_method THEN
                v_target.customer_link_method := NULL;
            END IF;
            IF NOT v_insert AND NEW.customer_link_confidence IS NOT DISTINCT FROM OLD.customer_link_confidence THEN
                v_target.customer_link_confidence := NULL;
            END IF;
            v_target.customer_link_method := coalesce(v_target.customer_link_method, 'phone_match');
            v_target.customer_link_confidence := coalesce(v_target.customer_link_confidence, 100.00);
        ELSIF NEW.customer_link_status IS DISTINCT FROM 'linked' THEN
            -- The customer stayed but the status is not linked: a written
            -- status contradicts customer_id; a NULL one is just not known.
            v_target.customer_link_status := 'linked';
            v_target.customer_linked_at := coalesce(NEW.customer_linked_at, pg_catalog.now());
            v_contradiction := NEW.customer_link_status IS NOT NULL;
        END IF;
    ELSE
        IF NEW.customer_link_status = 'linked' THEN
            -- Unless this statement cleared the customer, a link is claimed without one.
            v_target.customer_link_status := 'unlinked';
            v_contradiction := v_insert OR v_status_given OR NOT v_customer_changed;
        ELSIF NEW.customer_link_status IS NULL THEN
            v_target.customer_link_status := 'unlinked';
        END IF;
        IF NOT v_insert AND v_customer_changed THEN
            -- The old link's details describe a link that no longer exists.
            v_target.customer_linked_at := NULL;
            v_target.customer_link_method := NULL;
            v_target.customer_link_confidence := NULL;
        END IF;
    END IF;

    IF (v_target.customer_link_status, v_target.customer_linked_at, v_target.customer_link_method, v_target.customer_link_confidence)
       IS NOT DISTINCT FROM (NEW.customer_link_status, NEW.customer_linked_at, NEW.customer_link_method, NEW.customer_link_confidence) THEN
        EXIT customer_link_sync;
    END IF;

    IF v_contradiction THEN
        PERFORM dbguard.rule_violation('customer_link_sync', 'correct', '23Q01', 'customer_link_mismatch', 'call', NEW.id::pg_catalog.text,
            pg_catalog.format('dbguard: public.calls row %s has customer_link_status = %s but customer_id = %s',
                              coalesce(NEW.id::pg_catalog.text, '(new row)'), pg_catalog.quote_nullable(NEW.customer_link_status),
                              coalesce(NEW.customer_id::pg_catalog.text, 'NULL')),
            'rule customer_link_sync: a call is linked exactly when customer_id is set.',
            'Set customer_id to link a customer (the status follows), or clear customer_id to unlink; do not write customer_link_status by itself.',
            pg_catalog.jsonb_build_object(
                'customer_id', NEW.customer_id,
                'written', pg_catalog.jsonb_build_object('customer_link_status', NEW.customer_link_status,
                    'customer_linked_at', NEW.customer_linked_at, 'customer_link_method', NEW.customer_link_method,
                    'customer_link_confidence', NEW.customer_link_confidence),
                'expected', pg_catalog.jsonb_build_object('customer_link_status', v_target.customer_link_status,
                    'customer_linked_at', v_target.customer_linked_at, 'customer_link_method', v_target.customer_link_method,
                    'customer_link_confidence', v_target.customer_link_confidence)),
            'calls', 'customer_link_status');
    END IF;
    NEW := v_target;
END customer_link_sync;
    END IF;

    IF (TG_OP = 'INSERT' AND (NEW.session_outcome IS DISTINCT FROM CASE WHEN NEW.appointment_made THEN 'appointment_booked' END))
       OR (TG_OP = 'UPDATE' AND ROW(NEW.session_outcome, NEW.appointment_made) IS DISTINCT FROM ROW(OLD.session_outcome, OLD.appointment_made) AND (NEW.session_outcome IS DISTINCT FROM CASE WHEN NEW.appointment_made THEN 'appointment_booked' END)) THEN
    <<outcome_flag_sync>>
DECLARE
    v_made_changed boolean;
    v_outcome_changed boolean;
    v_made_wins boolean;
    v_fixed pg_catalog.text;          -- the column that is (or would be) repaired
    v_outcome pg_catalog.text;
    v_made boolean;
BEGIN
    v_made_changed := TG_OP = 'INSERT' OR NEW.appointment_made IS DISTINCT FROM OLD.appointment_made;
    v_outcome_changed := TG_OP = 'INSERT' OR NEW.session_outcome IS DISTINCT FROM OLD.session_outcome;
    IF v_outcome_changed THEN
        IF NEW.session_outcome IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM dbguard.vocabularies v
                 WHERE v.vocabulary = 'session_outcome' AND v.code = NEW.session_outcome) THEN
            NEW.session_outcome := dbguard.vocabulary_value('outcome_flag_sync', 'correct', 'session_outcome',
                NEW.session_outcome, NULL, 'call', 'public.calls', 'session_outcome', NEW.id::pg_catalog.text);
        END IF;
    END IF;

    IF (NEW.session_outcome = 'appointment_booked') IS NOT DISTINCT FROM NEW.appointment_made
       OR (NEW.session_outcome IS NULL AND NOT NEW.appointment_made) THEN
        EXIT outcome_flag_sync;
    END IF;
    -- An outcome outside the vocabulary (kept in alert mode) says nothing about the flag.
    IF NEW.session_outcome IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM dbguard.vocabularies v
             WHERE v.vocabulary = 'session_outcome' AND v.code = NEW.session_outcome) THEN
        EXIT outcome_flag_sync;
    END IF;

    IF NEW.session_outcome IS NULL THEN
        -- appointment_made without an outcome: the outcome is not known. Filling
        -- it in is derived-field maintenance, silent; 'alert' leaves the row.
        NEW.session_outcome := 'appointment_booked';
        EXIT outcome_flag_sync;
    ELSIF v_made_changed <> v_outcome_changed THEN
        -- This statement changed one side only: it is the newest statement of intent.
        v_made_wins := v_made_changed;
    ELSE
        -- A new row, or both written: the booking claim wins; the claim is
        -- then checked against the appointments at commit
        -- (booking_confirmed_requires_appointment).
        v_made_wins := NEW.appointment_made;
    END IF;
    IF v_made_wins THEN
        v_fixed := 'session_outcome';
        v_outcome := CASE WHEN NEW.appointment_made THEN 'appointment_booked' ELSE 'no_appointment' END;
        v_made := NEW.appointment_made;
    ELSE
        v_fixed := 'appointment_made';
        v_outcome := NEW.session_outcome;
        v_made := NEW.session_outcome = 'appointment_booked';
    END IF;
    -- Neither side can take a booking back while an appointment exists for the
    -- call (appointment_link_sync keeps it linked and booking_confirmed stays):
    -- the side that denies it is the one repaired.
    IF NOT v_made AND TG_OP = 'UPDATE' AND dbguard.call_has_appointment(NEW.id) THEN
        v_fixed := CASE WHEN NEW.appointment_made THEN 'session_outcome' ELSE 'appointment_made' END;
        v_outcome := 'appointment_booked';
        v_made := true;
    END IF;

    IF dbguard.rule_violation('outcome_flag_sync', 'correct', '23Q06',
           CASE WHEN NEW.session_outcome = 'appointment_booked' THEN 'session_outcome_mismatch'
                ELSE 'appointment_made_mismatch' END,
           'call', NEW.id::pg_catalog.text,
           pg_catalog.format('dbguard: public.calls row %s has session_outcome = %s but appointment_made = %s',
                             coalesce(NEW.id::pg_catalog.text, '(new row)'), pg_catalog.quote_literal(NEW.session_outcome),
                             NEW.appointment_made::pg_catalog.text),
           'rule outcome_flag_sync: session_outcome is ''appointment_booked'' exactly when appointment_made is true.',
           'Write both together: appointment_made = true with session_outcome = ''appointment_booked'', '
           'or appointment_made = false with another outcome (e.g. ''no_appointment'', ''creation_failed''); '
           'a call that has an appointment keeps appointment_made = true.',
           pg_catalog.jsonb_build_object(
               'written', pg_catalog.jsonb_build_object('session_outcome', NEW.session_outcome, 'appointment_made', NEW.appointment_made),
               'expected', pg_catalog.jsonb_build_object('session_outcome', v_outcome, 'appointment_made', v_made),
               'repaired_column', v_fixed),
           'calls', v_fixed,
           CASE WHEN NEW.session_outcome = 'appointment_booked' THEN 'critical' ELSE 'warning' END) THEN
        NEW.session_outcome := v_outcome;
        NEW.appointment_made := v_made;
    END IF;
    EXIT outcome_flag_sync;
END outcome_flag_sync;
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: tg_calls__booking_requires_appointment(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_calls__booking_requires_appointment() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_mode text := 'correct';
    v_call_id bigint;
    v_call public.calls;
    v_alert_type text;
    v_seen text;
    v_message text;
    v_detail text;
    v_hint text;
BEGIN
    IF TG_RELID NOT IN ('public.calls'::pg_catalog.regclass, 'public.appointments'::pg_catalog.regclass) THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_calls__booking_requires_appointment() is a trigger of public.calls and public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    -- Separate branches: OLD.call_id does not even parse for a calls row.
    IF TG_TABLE_NAME = 'calls' THEN
        v_call_id := NEW.id;
    ELSE
        v_call_id := OLD.call_id;
    END IF;
    IF v_call_id IS NULL THEN
        RETURN NULL;
    END IF;
    IF TG_TABLE_NAME = 'calls' AND EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = v_call_id) THEN
        RETURN NULL;
    END IF;
    -- Lock, then read fresh: an appointment deleted by a session that
    -- committed meanwhile must count as gone.
    SELECT c.* INTO v_call FROM public.calls c WHERE c.id = v_call_id FOR NO KEY UPDATE;
    IF NOT FOUND OR NOT (v_call.booking_confirmed OR v_call.appointment_made)
       OR EXISTS (SELECT 1 FROM public.appointments a WHERE a.call_id = v_call_id) THEN
        RETURN NULL;
    END IF;

    v_message := pg_catalog.format('dbguard: call %s claims a booking (booking_confirmed = %s, appointment_made = %s) but has no appointment',
                                   v_call_id, v_call.booking_confirmed::text, v_call.appointment_made::text);
    v_detail := pg_catalog.format('Checked by rule booking_confirmed_requires_appointment (a deferred check: at commit, or at SET CONSTRAINTS ... IMMEDIATE): '
                                  'no row of public.appointments has call_id = %s (booking_id %s).',
                                  v_call_id, coalesce(pg_catalog.quote_literal(v_call.booking_id), 'NULL'));
    v_hint := pg_catalog.format('Create the appointment with call_id = %1$s in the same transaction, or take the claim back: '
                                'SELECT dbguard.rollback_booking_flags(%1$s, ''appointment_validation_failed''); '
                                '(or UPDATE public.calls SET booking_confirmed = false, appointment_made = false, '
                                'session_outcome = ''creation_failed'' WHERE id = %1$s).',
                                v_call_id);
    IF v_mode = 'enforce' THEN
        RAISE EXCEPTION USING MESSAGE = v_message, ERRCODE = '23Q03', DETAIL = v_detail,
                              HINT = v_hint, TABLE = 'calls';
    ELSIF v_mode = 'correct' THEN
        PERFORM dbguard.rollback_booking_flags(v_call_id, 'appointment_validation_failed',
                                               'booking_confirmed_requires_appointment');
        -- The enforce message, so a client's notice handler hears that the
        -- claim was taken back (the data has already been repaired).
        RAISE WARNING USING MESSAGE = v_message, ERRCODE = '23Q03', DETAIL = v_detail,
                            HINT = v_hint, TABLE = 'calls';
    ELSE
        -- Alert mode: one alert per call and transaction, however many
        -- writes to the call queued a check.
        v_seen := coalesce(pg_catalog.current_setting('dbguard.booking_alerted_calls', true), '');
        IF pg_catalog.strpos(v_seen, ',' || v_call_id || ',') > 0 THEN
            RETURN NULL;
        END IF;
        PERFORM pg_catalog.set_config('dbguard.booking_alerted_calls',
                                      coalesce(NULLIF(v_seen, ''), ',') || v_call_id || ',', true);
        v_alert_type := CASE WHEN v_call.booking_confirmed THEN 'confirmed_without_appointment' ELSE 'made_without_appointment' END;
        PERFORM dbguard.raise_alert(v_alert_type, 'critical', 'call', v_call_id::text,
            pg_catalog.format('call %s claims a booking (booking_confirmed = %s, appointment_made = %s) but has no appointment',
                              v_call_id, v_call.booking_confirmed::text, v_call.appointment_made::text),
            pg_catalog.jsonb_build_object('booking_confirmed', v_call.booking_confirmed,
                'appointment_made', v_call.appointment_made, 'session_outcome', v_call.session_outcome,
                'booking_id', v_call.booking_id, 'actor', NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''), 'source', NULLIF(pg_catalog.current_setting('dbguard.source', true), '')),
            'trigger', false, 'booking_confirmed_requires_appointment');
    END IF;
    RETURN NULL;
END
$_$;


--
-- Name: tg_rule_settings__compile_rules(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_rule_settings__compile_rules() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    PERFORM dbguard.compile_rules();
    RETURN NULL;
END
$$;


--
-- Name: tg_vocabularies__pinned_codes(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_vocabularies__pinned_codes() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_code text;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        SELECT v.vocabulary || '.' || v.code INTO v_code FROM dbguard.vocabularies v WHERE v.pinned LIMIT 1;
    ELSIF OLD.pinned AND (TG_OP = 'DELETE' OR (NEW.vocabulary, NEW.code, NEW.pinned) IS DISTINCT FROM (OLD.vocabulary, OLD.code, OLD.pinned)) THEN
        v_code := OLD.vocabulary || '.' || OLD.code;
    END IF;
    IF v_code IS NOT NULL THEN
        RAISE EXCEPTION 'dbguard: dbguard.vocabularies code % is pinned and cannot be removed or renamed', v_code
            USING ERRCODE = '23Q09',
                  DETAIL = 'dbguard rules name this shipped code (in a trigger WHEN clause, or a rule function''s list of codes it accepts without a query); without it, rows holding the value would skip their vocabulary check.',
                  HINT = 'Add new codes with INSERT; to retire a shipped value, switch the rule''s mode or ask the application to stop writing it.',
                  TABLE = 'vocabularies', COLUMN = 'code';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;


--
-- Name: unregister_rule(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.unregister_rule(p_rule text) RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    DELETE FROM dbguard.installed_rules WHERE rule = p_rule;
    DELETE FROM dbguard.rule_settings WHERE rule = p_rule;
$$;


--
-- Name: validate_appointment_creation(bigint, bigint, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.validate_appointment_creation(p_call_id bigint, p_appointment_id bigint, p_booking_id text DEFAULT NULL::text) RETURNS TABLE(success boolean, reason text, details jsonb)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_appointment public.appointments;
    v_call public.calls;
    v_booking_id text;
    v_keys jsonb;
    v_details jsonb := pg_catalog.jsonb_build_object('call_id', p_call_id, 'appointment_id', p_appointment_id);
BEGIN
    SELECT a.* INTO v_appointment FROM public.appointments a WHERE a.id = p_appointment_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT false, 'appointment_not_found', v_details;
        RETURN;
    END IF;

    SELECT c.* INTO v_call FROM public.calls c WHERE c.id = p_call_id;
    IF v_appointment.call_id IS DISTINCT FROM p_call_id THEN
        RETURN QUERY SELECT false, 'appointment_not_linked',
            v_details || pg_catalog.jsonb_build_object('appointment_call_id', v_appointment.call_id,
                                                       'call_exists', v_call.id IS NOT NULL);
        RETURN;
    END IF;

    -- The booking id to compare: the one given, else the one the call recorded.
    v_booking_id := coalesce(p_booking_id, v_call.booking_id);
    v_keys := pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'calcom_v2_booking_id', v_appointment.calcom_v2_booking_id, 'external_id', v_appointment.external_id,
        'ghl_appointment_id', v_appointment.ghl_appointment_id, 'calendly_invitee_uri', v_appointment.calendly_invitee_uri));
    IF v_booking_id IS NOT NULL AND v_booking_id NOT IN (
           SELECT k.value FROM pg_catalog.jsonb_each_text(v_keys) k) THEN
        RETURN QUERY SELECT false, 'booking_id_mismatch',
            v_details || pg_catalog.jsonb_build_object('booking_id', v_booking_id, 'appointment_keys', v_keys);
        RETURN;
    END IF;

    -- Stale: the appointment already existed well before the call (so this
    -- call did not create it: an old row matched by mistake, or a replayed
    -- booking), or it starts before it was booked (a past slot). The hour of
    -- grace covers applications that insert the call row when the call ends.
    IF v_appointment.created_at < v_call.created_at - interval '1 hour'
       OR v_appointment.starts_at < v_appointment.created_at THEN
        RETURN QUERY SELECT false, 'stale_timestamps',
            v_details || pg_catalog.jsonb_build_object(
                'appointment_created_at', v_appointment.created_at, 'call_created_at', v_call.created_at,
                'starts_at', v_appointment.starts_at,
                'created_before_call', v_appointment.created_at < v_call.created_at - interval '1 hour',
                'starts_before_booked', v_appointment.starts_at < v_appointment.created_at);
        RETURN;
    END IF;

    RETURN QUERY SELECT true, NULL::text, v_details || pg_catalog.jsonb_build_object('booking_id', v_booking_id);
END
$$;


--
-- Name: vocabulary_message(text, text, text, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.vocabulary_message(p_vocabulary text, p_value text, p_table text, p_column text, p_row_id text, OUT message text, OUT detail text, OUT hint text) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_allowed text := (SELECT pg_catalog.string_agg(v.code, ', ' ORDER BY v.code)
                         FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary);
    v_long boolean := pg_catalog.length(p_value) > 200;
BEGIN
    -- A value longer than any code is quoted cut short: the message stays readable
    -- (and small enough for every client's log), the alert keeps the whole value.
    message := pg_catalog.format('dbguard: %s.%s = %s is not an allowed %s',
                                 p_table, p_column,
                                 CASE WHEN v_long
                                      THEN pg_catalog.quote_literal(pg_catalog.left(p_value, 200))
                                           || pg_catalog.format('... (%s characters)', pg_catalog.length(p_value))
                                      ELSE pg_catalog.quote_literal(p_value) END,
                                 p_vocabulary);
    detail := pg_catalog.format('row id %s; allowed values: %s', coalesce(p_row_id, '(new row)'), v_allowed);
    hint := CASE WHEN v_long THEN 'Use one of the allowed values.'
                 ELSE pg_catalog.format('Use one of the allowed values, or add the value to the vocabulary: '
                                        'INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES (%L, %L);',
                                        p_vocabulary, p_value) END;
END
$$;


--
-- Name: vocabulary_value(text, text, text, text, text, text, text, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.vocabulary_value(p_rule text, p_mode text, p_vocabulary text, p_value text, p_fallback text, p_entity_type text, p_table text, p_column text, p_row_id text) RETURNS text
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_normalised text := pg_catalog.lower(pg_catalog.btrim(p_value));
    v_repairable boolean;
    v_msg record;
BEGIN
    IF p_mode = 'off' OR dbguard.in_vocabulary(p_vocabulary, p_value) THEN
        RETURN p_value;
    END IF;
    v_repairable := dbguard.in_vocabulary(p_vocabulary, v_normalised);
    IF p_mode = 'enforce' OR (p_mode = 'correct' AND NOT v_repairable) THEN
        PERFORM dbguard.raise_vocabulary_error(p_vocabulary, p_value, p_table, p_column, p_row_id);
    END IF;
    v_msg := dbguard.vocabulary_message(p_vocabulary, p_value, p_table, p_column, p_row_id);
    PERFORM dbguard.rule_violation(p_rule, p_mode, '23Q02', 'vocabulary_violation', p_entity_type, p_row_id,
        v_msg.message, v_msg.detail, v_msg.hint,
        pg_catalog.jsonb_build_object(
            'table', p_table, 'column', p_column, 'value', p_value, 'vocabulary', p_vocabulary,
            'allowed', (SELECT pg_catalog.jsonb_agg(v.code ORDER BY v.code)
                          FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary),
            'corrected_to', CASE WHEN p_mode = 'correct' THEN v_normalised END),
        p_table, p_column);
    RETURN CASE WHEN p_mode = 'correct' THEN v_normalised ELSE p_value END;
END
$$;


--
-- Name: circuit_breaker_transitions; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.circuit_breaker_transitions (
    id bigint NOT NULL,
    key text NOT NULL,
    from_state text NOT NULL,
    to_state text NOT NULL,
    reason text NOT NULL,
    error text,
    occurred_at timestamp with time zone NOT NULL
);


--
-- Name: TABLE circuit_breaker_transitions; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.circuit_breaker_transitions IS 'Every state change of every circuit breaker, kept so that outages and recovery times can be measured (dbguard_audit.circuit_breakers).';


--
-- Name: COLUMN circuit_breaker_transitions.id; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_transitions.id IS 'Transition id.';


--
-- Name: COLUMN circuit_breaker_transitions.key; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_transitions.key IS 'Breaker key.';


--
-- Name: COLUMN circuit_breaker_transitions.from_state; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_transitions.from_state IS 'State before.';


--
-- Name: COLUMN circuit_breaker_transitions.to_state; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_transitions.to_state IS 'State after.';


--
-- Name: COLUMN circuit_breaker_transitions.reason; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_transitions.reason IS 'Why (threshold reached, cool-down over, trial succeeded, reset, ...).';


--
-- Name: COLUMN circuit_breaker_transitions.error; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_transitions.error IS 'Error text of the failure that caused it, if any.';


--
-- Name: COLUMN circuit_breaker_transitions.occurred_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.circuit_breaker_transitions.occurred_at IS 'When it happened.';


--
-- Name: circuit_breaker_transitions_id_seq; Type: SEQUENCE; Schema: dbguard; Owner: -
--

CREATE SEQUENCE dbguard.circuit_breaker_transitions_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: circuit_breaker_transitions_id_seq; Type: SEQUENCE OWNED BY; Schema: dbguard; Owner: -
--

ALTER SEQUENCE dbguard.circuit_breaker_transitions_id_seq OWNED BY dbguard.circuit_breaker_transitions.id;


--
-- Name: data_consistency_alerts; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.data_consistency_alerts (
    id bigint NOT NULL,
    alert_type text NOT NULL,
    severity text NOT NULL,
    entity_type text NOT NULL,
    entity_id text,
    description text NOT NULL,
    details jsonb DEFAULT '{}'::jsonb NOT NULL,
    detected_at timestamp with time zone DEFAULT now() NOT NULL,
    detected_by text NOT NULL,
    rule text,
    auto_corrected boolean DEFAULT false NOT NULL,
    resolved_at timestamp with time zone,
    resolved_by text,
    CONSTRAINT data_consistency_alerts_detected_by_check CHECK ((detected_by = ANY (ARRAY['trigger'::text, 'scan'::text]))),
    CONSTRAINT data_consistency_alerts_severity_check CHECK ((severity = ANY (ARRAY['info'::text, 'warning'::text, 'critical'::text])))
);


--
-- Name: TABLE data_consistency_alerts; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.data_consistency_alerts IS 'Every alert a rule (detected_by trigger) or a scan (`dbguard check`, detected_by scan) recorded; also announced on NOTIFY channel dbguard_alerts. Written only through dbguard.raise_alert.';


--
-- Name: COLUMN data_consistency_alerts.id; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.id IS 'Alert id.';


--
-- Name: COLUMN data_consistency_alerts.alert_type; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.alert_type IS 'Kind of inconsistency (e.g. session_outcome_mismatch; a scan alert carries the detection rule''s name).';


--
-- Name: COLUMN data_consistency_alerts.severity; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.severity IS 'info, warning or critical.';


--
-- Name: COLUMN data_consistency_alerts.entity_type; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.entity_type IS 'Table of the row concerned (calls, appointments, ...).';


--
-- Name: COLUMN data_consistency_alerts.entity_id; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.entity_id IS 'id of the row concerned, as text.';


--
-- Name: COLUMN data_consistency_alerts.description; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.description IS 'What was found, in words.';


--
-- Name: COLUMN data_consistency_alerts.details; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.details IS 'Values involved (JSON; PII redacted).';


--
-- Name: COLUMN data_consistency_alerts.detected_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.detected_at IS 'When it was detected.';


--
-- Name: COLUMN data_consistency_alerts.detected_by; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.detected_by IS 'trigger (a rule, at write time) or scan (`dbguard check`).';


--
-- Name: COLUMN data_consistency_alerts.rule; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.rule IS 'The rule that raised it.';


--
-- Name: COLUMN data_consistency_alerts.auto_corrected; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.auto_corrected IS 'true when a rule in correct mode repaired the row.';


--
-- Name: COLUMN data_consistency_alerts.resolved_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.resolved_at IS 'When it was resolved (NULL: open).';


--
-- Name: COLUMN data_consistency_alerts.resolved_by; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.data_consistency_alerts.resolved_by IS 'Who or what resolved it.';


--
-- Name: data_consistency_alerts_id_seq; Type: SEQUENCE; Schema: dbguard; Owner: -
--

CREATE SEQUENCE dbguard.data_consistency_alerts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: data_consistency_alerts_id_seq; Type: SEQUENCE OWNED BY; Schema: dbguard; Owner: -
--

ALTER SEQUENCE dbguard.data_consistency_alerts_id_seq OWNED BY dbguard.data_consistency_alerts.id;


--
-- Name: installed_objects; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.installed_objects (
    kind text NOT NULL,
    name text NOT NULL,
    checksum text NOT NULL,
    fingerprint text,
    installed_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE installed_objects; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.installed_objects IS 'The functions and bookkeeping objects dbguard installed: the sha256 of each shipped source, so that migrate re-installs only the changed ones, and the fingerprint of what it installed, so that status reports a hand edit.';


--
-- Name: COLUMN installed_objects.kind; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_objects.kind IS 'function (a file of sql/functions/) or schema (sql/schema/repeatable.sql).';


--
-- Name: COLUMN installed_objects.name; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_objects.name IS 'The function''s name, or ''repeatable''.';


--
-- Name: COLUMN installed_objects.checksum; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_objects.checksum IS 'sha256 of the shipped source that was installed.';


--
-- Name: COLUMN installed_objects.fingerprint; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_objects.fingerprint IS 'md5 of the installed definitions (pg_get_functiondef) right after the install; another value now means a hand edit.';


--
-- Name: COLUMN installed_objects.installed_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_objects.installed_at IS 'When it was last (re)installed.';


--
-- Name: installed_rules; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.installed_rules (
    rule text NOT NULL,
    version integer NOT NULL,
    function_name text NOT NULL,
    definition_md5 text NOT NULL,
    source_sha256 text NOT NULL,
    description text,
    triggers text[],
    trigger_definitions text[],
    installed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT installed_rules_version_check CHECK ((version > 0))
);


--
-- Name: TABLE installed_rules; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.installed_rules IS 'One row per installed rule: its version, trigger function and the fingerprints used to detect hand edits (drift, see dbguard.rule_status).';


--
-- Name: COLUMN installed_rules.rule; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.rule IS 'Rule name.';


--
-- Name: COLUMN installed_rules.version; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.version IS 'Installed version (the -- version: header of sql/triggers/<rule>.sql).';


--
-- Name: COLUMN installed_rules.function_name; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.function_name IS 'Its trigger function (regprocedure text); for a compiled rule, the compiled function of its first table and timing.';


--
-- Name: COLUMN installed_rules.definition_md5; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.definition_md5 IS 'Fingerprint of the function as installed; differs from the live one when it was edited by hand.';


--
-- Name: COLUMN installed_rules.source_sha256; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.source_sha256 IS 'sha256 of the shipped source file that was installed.';


--
-- Name: COLUMN installed_rules.description; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.description IS 'What the rule guarantees.';


--
-- Name: COLUMN installed_rules.triggers; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.triggers IS 'The triggers that run the function, as table.trigger.';


--
-- Name: COLUMN installed_rules.trigger_definitions; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.trigger_definitions IS 'The CREATE TRIGGER statements of every trigger a rule''s source creates, as installed: dropped while the rule is off, created again when it is switched on.';


--
-- Name: COLUMN installed_rules.installed_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_rules.installed_at IS 'When this version was installed.';


--
-- Name: installed_views; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.installed_views (
    view_name text NOT NULL,
    sha256 text NOT NULL,
    definition_md5 text,
    installed_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE installed_views; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.installed_views IS 'The dbguard_audit views as installed: the hash of each rendered view, so that migrate re-creates only the changed ones.';


--
-- Name: COLUMN installed_views.view_name; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_views.view_name IS 'View name in dbguard_audit.';


--
-- Name: COLUMN installed_views.sha256; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_views.sha256 IS 'sha256 of its rendered CREATE VIEW statement.';


--
-- Name: COLUMN installed_views.definition_md5; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_views.definition_md5 IS 'md5 of the view''s stored query tree right after it was installed; another value now means it was replaced by hand.';


--
-- Name: COLUMN installed_views.installed_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.installed_views.installed_at IS 'When it was last (re)created.';


--
-- Name: manual_review_queue; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.manual_review_queue (
    id bigint NOT NULL,
    call_id bigint,
    reason text NOT NULL,
    priority smallint NOT NULL,
    context jsonb DEFAULT '{}'::jsonb NOT NULL,
    status text DEFAULT 'pending'::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    resolved_at timestamp with time zone,
    resolved_by text,
    resolution_note text,
    occurrences integer DEFAULT 1 NOT NULL,
    last_occurred_at timestamp with time zone,
    CONSTRAINT manual_review_queue_priority_check CHECK (((priority >= 1) AND (priority <= 5))),
    CONSTRAINT manual_review_queue_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'in_progress'::text, 'resolved'::text, 'dismissed'::text])))
);


--
-- Name: TABLE manual_review_queue; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.manual_review_queue IS 'Cases a person has to look at (no automatic repair), one pending entry per call and reason; priority 1 is the most urgent. Work it with `dbguard review`.';


--
-- Name: COLUMN manual_review_queue.id; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.id IS 'Entry id.';


--
-- Name: COLUMN manual_review_queue.call_id; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.call_id IS 'The call concerned.';


--
-- Name: COLUMN manual_review_queue.reason; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.reason IS 'Why it needs review; sets the priority.';


--
-- Name: COLUMN manual_review_queue.priority; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.priority IS '1 (most urgent) .. 5.';


--
-- Name: COLUMN manual_review_queue.context; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.context IS 'Evidence collected when queued (JSON).';


--
-- Name: COLUMN manual_review_queue.status; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.status IS 'pending, in_progress, resolved or dismissed.';


--
-- Name: COLUMN manual_review_queue.created_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.created_at IS 'When it was queued.';


--
-- Name: COLUMN manual_review_queue.updated_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.updated_at IS 'When it last changed.';


--
-- Name: COLUMN manual_review_queue.resolved_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.resolved_at IS 'When it was resolved or dismissed.';


--
-- Name: COLUMN manual_review_queue.resolved_by; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.resolved_by IS 'Who resolved or dismissed it.';


--
-- Name: COLUMN manual_review_queue.resolution_note; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.resolution_note IS 'What was done.';


--
-- Name: COLUMN manual_review_queue.occurrences; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.occurrences IS 'How many times the same call and reason were queued while the entry was open (1: once); the first evidence is kept.';


--
-- Name: COLUMN manual_review_queue.last_occurred_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.manual_review_queue.last_occurred_at IS 'When it was last queued again (NULL: queued once).';


--
-- Name: manual_review_queue_id_seq; Type: SEQUENCE; Schema: dbguard; Owner: -
--

CREATE SEQUENCE dbguard.manual_review_queue_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: manual_review_queue_id_seq; Type: SEQUENCE OWNED BY; Schema: dbguard; Owner: -
--

ALTER SEQUENCE dbguard.manual_review_queue_id_seq OWNED BY dbguard.manual_review_queue.id;


--
-- Name: migration_checksums; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.migration_checksums (
    migration_id text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE migration_checksums; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.migration_checksums IS 'Content checksum of every applied migration, so `dbguard status` can report a migration whose SQL changed after it was applied.';


--
-- Name: COLUMN migration_checksums.migration_id; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.migration_checksums.migration_id IS 'yoyo migration id.';


--
-- Name: COLUMN migration_checksums.checksum; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.migration_checksums.checksum IS 'sha256 of the migration''s SQL when applied.';


--
-- Name: COLUMN migration_checksums.applied_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.migration_checksums.applied_at IS 'When it was applied.';


--
-- Name: owned_tables; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.owned_tables (
    table_name text NOT NULL,
    migration text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE owned_tables; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.owned_tables IS 'Domain tables dbguard created (as opposed to tables it found and extended); a rollback only ever drops these, and only while empty.';


--
-- Name: COLUMN owned_tables.table_name; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.owned_tables.table_name IS 'Table dbguard created.';


--
-- Name: COLUMN owned_tables.migration; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.owned_tables.migration IS 'The migration that created it.';


--
-- Name: COLUMN owned_tables.created_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.owned_tables.created_at IS 'When.';


--
-- Name: pending_lead_rollups; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.pending_lead_rollups (
    lead_id bigint NOT NULL,
    queued_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: TABLE pending_lead_rollups; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.pending_lead_rollups IS 'Leads whose rollup a commit could not write because another transaction held the lead row; the next commit step, dbguard.refresh_lead_rollups or reconcile of lead_rollup_drift brings them up to date.';


--
-- Name: COLUMN pending_lead_rollups.lead_id; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.pending_lead_rollups.lead_id IS 'The lead whose rollup is pending.';


--
-- Name: COLUMN pending_lead_rollups.queued_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.pending_lead_rollups.queued_at IS 'When it was queued.';


--
-- Name: resolver_writes; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.resolver_writes (
    backend_pid integer NOT NULL,
    xact bigint NOT NULL
);


--
-- Name: TABLE resolver_writes; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.resolver_writes IS 'Internal: marks the transaction in which dbguard.resolve_staff_for_host writes a host mapping, so that its audit row may say auto_matched; a marker the application sets itself is not believed.';


--
-- Name: COLUMN resolver_writes.backend_pid; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.resolver_writes.backend_pid IS 'Server process of the resolver''s transaction.';


--
-- Name: COLUMN resolver_writes.xact; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.resolver_writes.xact IS 'Transaction id of the resolver''s write.';


--
-- Name: rule_fragments; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.rule_fragments (
    rule text NOT NULL,
    table_name regclass NOT NULL,
    timing text NOT NULL,
    mode text NOT NULL,
    trigger_order integer NOT NULL,
    on_insert boolean NOT NULL,
    insert_when text,
    on_update boolean NOT NULL,
    update_of text[],
    update_when text,
    on_delete boolean NOT NULL,
    delete_when text,
    body text NOT NULL,
    CONSTRAINT rule_fragments_mode_check CHECK ((mode = ANY (ARRAY['alert'::text, 'correct'::text, 'enforce'::text]))),
    CONSTRAINT rule_fragments_timing_check CHECK ((timing = ANY (ARRAY['before_row'::text, 'after_row'::text]))),
    CONSTRAINT rule_fragments_trigger_order_check CHECK (((trigger_order >= 0) AND (trigger_order <= 999)))
);


--
-- Name: TABLE rule_fragments; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.rule_fragments IS 'A compiled rule''s code for one table and timing, rendered once per mode (alert, correct, enforce); dbguard.compile_rules() assembles the trigger functions from the rows of each rule''s current mode.';


--
-- Name: COLUMN rule_fragments.rule; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.rule IS 'Rule name.';


--
-- Name: COLUMN rule_fragments.table_name; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.table_name IS 'The table whose trigger runs the fragment.';


--
-- Name: COLUMN rule_fragments.timing; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.timing IS 'before_row or after_row: which compiled function (dbguard.tg_<table>__<timing>) holds it.';


--
-- Name: COLUMN rule_fragments.mode; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.mode IS 'The mode this rendering is for; a rule in off has no code.';


--
-- Name: COLUMN rule_fragments.trigger_order; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.trigger_order IS 'Firing order within the function (the NNN of the group''s trigger name is the lowest of its fragments).';


--
-- Name: COLUMN rule_fragments.on_insert; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.on_insert IS 'Whether the fragment runs for an insert.';


--
-- Name: COLUMN rule_fragments.insert_when; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.insert_when IS 'Its fast path for an insert: a condition on NEW, built-ins only (NULL: every insert).';


--
-- Name: COLUMN rule_fragments.on_update; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.on_update IS 'Whether the fragment runs for an update.';


--
-- Name: COLUMN rule_fragments.update_of; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.update_of IS 'The columns it watches on update: it runs when one of them changed (NULL: any update).';


--
-- Name: COLUMN rule_fragments.update_when; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.update_when IS 'Its fast path for an update, on top of a watched column having changed.';


--
-- Name: COLUMN rule_fragments.on_delete; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.on_delete IS 'Whether the fragment runs for a delete.';


--
-- Name: COLUMN rule_fragments.delete_when; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.delete_when IS 'Its fast path for a delete.';


--
-- Name: COLUMN rule_fragments.body; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_fragments.body IS 'The PL/pgSQL block, mode compiled in; its RETURN NEW made an exit of its labeled block.';


--
-- Name: rule_functions; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.rule_functions (
    rule text NOT NULL,
    mode text NOT NULL,
    function_name text NOT NULL,
    definer boolean NOT NULL,
    statement text NOT NULL,
    CONSTRAINT rule_functions_mode_check CHECK ((mode = ANY (ARRAY['alert'::text, 'correct'::text, 'enforce'::text])))
);


--
-- Name: TABLE rule_functions; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.rule_functions IS 'A rule with triggers of its own: each function of its source that depends on the mode, rendered once per mode (alert, correct, enforce); dbguard.compile_rules() installs the renderings of the rule''s current mode.';


--
-- Name: COLUMN rule_functions.rule; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_functions.rule IS 'Rule name.';


--
-- Name: COLUMN rule_functions.mode; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_functions.mode IS 'The mode this rendering is for; a rule in off has no triggers.';


--
-- Name: COLUMN rule_functions.function_name; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_functions.function_name IS 'The function, as a signature (dbguard.tg_<table>__<purpose>()).';


--
-- Name: COLUMN rule_functions.definer; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_functions.definer IS 'Whether it runs as its owner (SECURITY DEFINER).';


--
-- Name: COLUMN rule_functions.statement; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_functions.statement IS 'Its CREATE OR REPLACE FUNCTION statement for the mode.';


--
-- Name: rule_settings; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.rule_settings (
    rule text NOT NULL,
    mode text DEFAULT 'correct'::text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_by text DEFAULT CURRENT_USER NOT NULL,
    CONSTRAINT rule_settings_mode_check CHECK ((mode = ANY (ARRAY['off'::text, 'alert'::text, 'correct'::text, 'enforce'::text])))
);


--
-- Name: TABLE rule_settings; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.rule_settings IS 'The mode of each rule (off, alert, correct, enforce); a rule without a row runs in correct. Change it with `dbguard rules set-mode RULE MODE`.';


--
-- Name: COLUMN rule_settings.rule; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_settings.rule IS 'Rule name.';


--
-- Name: COLUMN rule_settings.mode; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_settings.mode IS 'off: does nothing; alert: records an alert only; correct: repairs and alerts; enforce: refuses the write.';


--
-- Name: COLUMN rule_settings.updated_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_settings.updated_at IS 'When the mode was last set.';


--
-- Name: COLUMN rule_settings.updated_by; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_settings.updated_by IS 'Database user who set it.';


--
-- Name: rule_status; Type: VIEW; Schema: dbguard; Owner: -
--

CREATE VIEW dbguard.rule_status AS
 WITH compiled AS (
         SELECT c_1.table_name,
            c_1.timing,
            c_1.function_name,
            c_1.function_body
           FROM dbguard.compiled_rules() c_1(table_name, timing, function_name, trigger_name, rules, function_body, statements, trigger_statement)
        )
 SELECT r.rule,
    r.version,
    dbguard.compiled_mode(r.rule) AS mode,
    r.function_name,
    r.description,
    r.installed_at,
    t.triggers,
        CASE
            WHEN ((f.oid IS NULL) AND g.compiled AND (c.function_body IS NULL)) THEN 'none'::text
            WHEN (f.oid IS NULL) THEN 'missing'::text
            WHEN (dbguard.function_fingerprint((f.oid)::regprocedure) <> r.definition_md5) THEN 'modified'::text
            WHEN (g.compiled AND g.stale) THEN 'modified'::text
            WHEN ((NOT g.compiled) AND (dbguard.compiled_mode(r.rule) = 'off'::text) AND (t.triggers IS NULL)) THEN 'none'::text
            WHEN ((t.triggers IS NULL) OR (NOT (t.triggers @> COALESCE(r.triggers, '{}'::text[])))) THEN 'trigger_missing'::text
            WHEN t.disabled THEN 'trigger_disabled'::text
            ELSE 'none'::text
        END AS drift,
    ARRAY( SELECT unnest(r.triggers) AS unnest
        EXCEPT
         SELECT unnest(t.triggers) AS unnest
  ORDER BY 1) AS missing_triggers
   FROM ((((dbguard.installed_rules r
     LEFT JOIN pg_proc f ON ((f.oid = (to_regprocedure(r.function_name))::oid)))
     LEFT JOIN compiled c ON ((c.function_name = r.function_name)))
     LEFT JOIN LATERAL ( SELECT (count(*) > 0) AS compiled,
            bool_or((p.prosrc IS DISTINCT FROM x.function_body)) AS stale,
            array_agg(p.oid) FILTER (WHERE (p.oid IS NOT NULL)) AS functions
           FROM ((( SELECT DISTINCT fr_1.table_name,
                    fr_1.timing
                   FROM dbguard.rule_fragments fr_1
                  WHERE (fr_1.rule = r.rule)) fr
             JOIN compiled x ON ((((x.table_name)::oid = (fr.table_name)::oid) AND (x.timing = fr.timing))))
             LEFT JOIN pg_proc p ON ((p.oid = (to_regprocedure(x.function_name))::oid)))) g ON (true))
     LEFT JOIN LATERAL ( SELECT ( SELECT array_agg(DISTINCT tr.tr ORDER BY tr.tr) AS array_agg
                   FROM unnest(
                        CASE
                            WHEN g.compiled THEN g.functions
                            ELSE ARRAY[f.oid]
                        END) fn(fn),
                    LATERAL unnest(dbguard.rule_triggers((fn.fn)::regprocedure)) tr(tr)) AS triggers,
            (EXISTS ( SELECT 1
                   FROM pg_trigger tg
                  WHERE ((tg.tgfoid = ANY (
                        CASE
                            WHEN g.compiled THEN g.functions
                            ELSE ARRAY[f.oid]
                        END)) AND (NOT tg.tgisinternal) AND (tg.tgenabled = 'D'::"char")))) AS disabled) t ON (true));


--
-- Name: VIEW rule_status; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON VIEW dbguard.rule_status IS 'Each installed rule with its version, current mode and drift from what dbguard installed (what `dbguard status` shows).';


--
-- Name: COLUMN rule_status.rule; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.rule IS 'Rule name.';


--
-- Name: COLUMN rule_status.version; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.version IS 'Installed version.';


--
-- Name: COLUMN rule_status.mode; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.mode IS 'Current mode (off, alert, correct, enforce).';


--
-- Name: COLUMN rule_status.function_name; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.function_name IS 'Its trigger function.';


--
-- Name: COLUMN rule_status.description; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.description IS 'What the rule guarantees.';


--
-- Name: COLUMN rule_status.installed_at; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.installed_at IS 'When this version was installed.';


--
-- Name: COLUMN rule_status.triggers; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.triggers IS 'The triggers that run the function now.';


--
-- Name: COLUMN rule_status.drift; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.drift IS 'none, missing (function gone), modified (edited by hand), trigger_missing or trigger_disabled.';


--
-- Name: COLUMN rule_status.missing_triggers; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.rule_status.missing_triggers IS 'Triggers the rule installed that are gone now.';


--
-- Name: source_mappings; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.source_mappings (
    source text NOT NULL,
    booking_source text NOT NULL,
    created_by text NOT NULL,
    booking_source_vocabulary text GENERATED ALWAYS AS ('booking_source'::text) STORED NOT NULL,
    created_by_vocabulary text GENERATED ALWAYS AS ('actor'::text) STORED NOT NULL
);


--
-- Name: TABLE source_mappings; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.source_mappings IS 'How a legacy appointments.source value maps to booking_source and created_by (used by the creation_metadata rule and `dbguard backfill metadata`).';


--
-- Name: COLUMN source_mappings.source; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.source_mappings.source IS 'A value of appointments.source.';


--
-- Name: COLUMN source_mappings.booking_source; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.source_mappings.booking_source IS 'The booking_source it implies.';


--
-- Name: COLUMN source_mappings.created_by; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.source_mappings.created_by IS 'The created_by actor it implies.';


--
-- Name: COLUMN source_mappings.booking_source_vocabulary; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.source_mappings.booking_source_vocabulary IS 'Always ''booking_source'': with booking_source, the foreign key to dbguard.vocabularies.';


--
-- Name: COLUMN source_mappings.created_by_vocabulary; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.source_mappings.created_by_vocabulary IS 'Always ''actor'': with created_by, the foreign key to dbguard.vocabularies.';


--
-- Name: vocabularies; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.vocabularies (
    vocabulary text NOT NULL,
    code text NOT NULL,
    description text,
    is_active boolean,
    pinned boolean DEFAULT false NOT NULL
);


--
-- Name: TABLE vocabularies; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.vocabularies IS 'Allowed values per vocabulary (booking_source, actor, appointment_status, provider, call_direction, link_status, session_outcome, ...). Extend with INSERT.';


--
-- Name: COLUMN vocabularies.vocabulary; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.vocabularies.vocabulary IS 'Which vocabulary (the column family it governs).';


--
-- Name: COLUMN vocabularies.code; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.vocabularies.code IS 'An allowed value.';


--
-- Name: COLUMN vocabularies.description; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.vocabularies.description IS 'What the value means.';


--
-- Name: COLUMN vocabularies.is_active; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.vocabularies.is_active IS 'appointment_status only: whether an appointment in this status is live.';


--
-- Name: COLUMN vocabularies.pinned; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON COLUMN dbguard.vocabularies.pinned IS 'Named by a trigger WHEN clause or a rule function''s constant list: dbguard refuses to delete or rename it.';


--
-- Name: alert_summary; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.alert_summary AS
 WITH daily AS (
         SELECT a.alert_type,
            ((a.detected_at AT TIME ZONE 'UTC'::text))::date AS day,
            count(*) AS alerts,
            count(*) FILTER (WHERE (a.severity = 'critical'::text)) AS critical,
            count(*) FILTER (WHERE a.auto_corrected) AS auto_corrected,
            count(*) FILTER (WHERE (a.resolved_at IS NULL)) AS still_open,
            count(*) FILTER (WHERE (a.detected_by = 'scan'::text)) AS from_scans
           FROM dbguard.data_consistency_alerts a
          WHERE (a.detected_at >= (now() - make_interval(days => (90 + 7))))
          GROUP BY a.alert_type, (((a.detected_at AT TIME ZONE 'UTC'::text))::date)
        )
 SELECT d.alert_type,
    d.day,
    d.alerts,
    d.critical,
    d.auto_corrected,
    round(((100.0 * (d.auto_corrected)::numeric) / (d.alerts)::numeric), 2) AS auto_corrected_pct,
    d.still_open,
    d.from_scans,
    COALESCE(w.alerts, (0)::bigint) AS alerts_week_before,
        CASE
            WHEN (w.alerts > 0) THEN round(((100.0 * ((d.alerts - w.alerts))::numeric) / (w.alerts)::numeric), 2)
            ELSE NULL::numeric
        END AS week_over_week_pct,
        CASE
            WHEN (w.alerts IS NULL) THEN 'new'::text
            WHEN (d.alerts > w.alerts) THEN 'up'::text
            WHEN (d.alerts < w.alerts) THEN 'down'::text
            ELSE 'flat'::text
        END AS trend
   FROM (daily d
     LEFT JOIN daily w ON (((w.alert_type = d.alert_type) AND (w.day = (d.day - 7)))))
  WHERE (d.day >= (((now() AT TIME ZONE 'UTC'::text))::date - 90));


--
-- Name: VIEW alert_summary; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.alert_summary IS 'Alerts (dbguard.data_consistency_alerts) by alert type and UTC day of detection (last 90 days), with the auto-corrected share and the change against the same weekday one week earlier.';


--
-- Name: COLUMN alert_summary.alert_type; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.alert_type IS 'Alert type (e.g. session_outcome_mismatch, or a detection rule''s name for scan alerts).';


--
-- Name: COLUMN alert_summary.day; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.day IS 'UTC calendar day the alerts were detected.';


--
-- Name: COLUMN alert_summary.alerts; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.alerts IS 'Alerts of this type that day.';


--
-- Name: COLUMN alert_summary.critical; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.critical IS 'Of these, alerts with severity critical.';


--
-- Name: COLUMN alert_summary.auto_corrected; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.auto_corrected IS 'Of these, alerts whose row a rule in correct mode repaired.';


--
-- Name: COLUMN alert_summary.auto_corrected_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.auto_corrected_pct IS 'auto_corrected / alerts, in percent (0..100).';


--
-- Name: COLUMN alert_summary.still_open; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.still_open IS 'Of these, alerts not resolved yet (resolved_at is NULL).';


--
-- Name: COLUMN alert_summary.from_scans; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.from_scans IS 'Of these, alerts recorded by `dbguard check` (detected_by = ''scan'') rather than by a trigger.';


--
-- Name: COLUMN alert_summary.alerts_week_before; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.alerts_week_before IS 'Alerts of this type seven days earlier (0 when none).';


--
-- Name: COLUMN alert_summary.week_over_week_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.week_over_week_pct IS 'Change of alerts against alerts_week_before, in percent; NULL when there were none the week before.';


--
-- Name: COLUMN alert_summary.trend; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.alert_summary.trend IS 'new (none the week before), up, down or flat against the same day one week earlier.';


--
-- Name: appointment_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.appointment_events (
    id bigint NOT NULL,
    appointment_id bigint,
    lead_id bigint,
    call_id bigint,
    event text,
    old_status text,
    new_status text,
    old_starts_at timestamp with time zone,
    new_starts_at timestamp with time zone,
    actor text,
    source text,
    user_id bigint,
    occurred_at timestamp with time zone DEFAULT now() NOT NULL,
    details jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: appointments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.appointments (
    id bigint NOT NULL,
    company_id bigint,
    branch_id uuid,
    customer_id bigint,
    lead_id bigint,
    service_id bigint,
    staff_id uuid,
    call_id bigint,
    starts_at timestamp with time zone,
    ends_at timestamp with time zone,
    booking_timezone text,
    status text DEFAULT 'scheduled'::text,
    status_changed_at timestamp with time zone DEFAULT now(),
    source text,
    booking_source text,
    created_by text,
    cancelled_at timestamp with time zone,
    cancelled_by text,
    cancelled_by_user_id bigint,
    cancellation_reason text,
    rescheduled_at timestamp with time zone,
    rescheduled_by text,
    rescheduled_by_user_id bigint,
    rescheduled_from_id bigint,
    provider text,
    calcom_v2_booking_id text,
    external_id text,
    calcom_event_type_id bigint,
    calcom_host_id integer,
    ghl_appointment_id text,
    calendly_invitee_uri text,
    calendly_scheduled_event_uri text,
    notes text,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT dbguard_appointments_ends_after_starts CHECK ((ends_at > starts_at)),
    CONSTRAINT dbguard_appointments_not_own_predecessor CHECK ((rescheduled_from_id <> id))
);


--
-- Name: appointment_history; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.appointment_history AS
 SELECT a.lead_id,
    a.id AS appointment_id,
    a.rescheduled_from_id,
    ch.chain_root_id,
    ch.chain_position,
    t.event,
    t.occurred_at,
    t.actor,
    t.source,
    t.old_status,
    t.new_status,
    t.old_starts_at,
    t.new_starts_at,
    t.from_history
   FROM ((public.appointments a
     CROSS JOIN LATERAL ( WITH RECURSIVE up AS (
                 SELECT a.id,
                    a.rescheduled_from_id,
                    0 AS depth
                UNION ALL
                 SELECT p.id,
                    p.rescheduled_from_id,
                    (up_1.depth + 1)
                   FROM (up up_1
                     JOIN public.appointments p ON ((p.id = up_1.rescheduled_from_id)))
                  WHERE (up_1.depth < 1000)
                )
         SELECT up.id AS chain_root_id,
            up.depth AS chain_position
           FROM up
          ORDER BY up.depth DESC
         LIMIT 1) ch)
     CROSS JOIN LATERAL ( SELECT e.event,
            e.occurred_at,
            e.actor,
            e.source,
            e.old_status,
            e.new_status,
            e.old_starts_at,
            e.new_starts_at,
            true AS from_history
           FROM public.appointment_events e
          WHERE (e.appointment_id = a.id)
        UNION ALL
         SELECT d.event,
            d.occurred_at,
            d.actor,
            d.source,
            NULL::text,
            d.new_status,
            NULL::timestamp with time zone,
            d.new_starts_at,
            false
           FROM ( VALUES ('created'::text,a.created_at,a.created_by,a.booking_source,a.status,a.starts_at), ('cancelled'::text,a.cancelled_at,a.cancelled_by,NULL::text,'cancelled'::text,NULL::timestamp with time zone), ('rescheduled'::text,a.rescheduled_at,a.rescheduled_by,NULL::text,NULL::text,a.starts_at)) d(event, occurred_at, actor, source, new_status, new_starts_at)
          WHERE ((d.occurred_at IS NOT NULL) AND (NOT (EXISTS ( SELECT 1
                   FROM public.appointment_events e
                  WHERE (e.appointment_id = a.id)))))) t)
  WHERE (a.lead_id IS NOT NULL);


--
-- Name: VIEW appointment_history; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.appointment_history IS 'A lead''s timeline: one row per history event of each of its appointments (from appointment_events; for legacy appointments without history, derived from their lifecycle columns), placed in its reschedule chain. Filter by lead_id. Not limited to 90 days.';


--
-- Name: COLUMN appointment_history.lead_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.lead_id IS 'The lead.';


--
-- Name: COLUMN appointment_history.appointment_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.appointment_id IS 'The appointment the event is about.';


--
-- Name: COLUMN appointment_history.rescheduled_from_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.rescheduled_from_id IS 'The appointment this one replaced (its predecessor in the reschedule chain), if any.';


--
-- Name: COLUMN appointment_history.chain_root_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.chain_root_id IS 'First appointment of the reschedule chain (the appointment itself when it replaced none).';


--
-- Name: COLUMN appointment_history.chain_position; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.chain_position IS 'Place in the chain: 0 for the root, 1 for its first successor, ...';


--
-- Name: COLUMN appointment_history.event; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.event IS 'What happened: created, status_changed, rescheduled, cancelled, reactivated, deleted, ...';


--
-- Name: COLUMN appointment_history.occurred_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.occurred_at IS 'When it happened.';


--
-- Name: COLUMN appointment_history.actor; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.actor IS 'Who did it (vocabulary actor).';


--
-- Name: COLUMN appointment_history.source; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.source IS 'Through which source or channel.';


--
-- Name: COLUMN appointment_history.old_status; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.old_status IS 'Status before the event (NULL for derived rows).';


--
-- Name: COLUMN appointment_history.new_status; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.new_status IS 'Status after the event.';


--
-- Name: COLUMN appointment_history.old_starts_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.old_starts_at IS 'Start time before a reschedule (NULL for derived rows).';


--
-- Name: COLUMN appointment_history.new_starts_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.new_starts_at IS 'Start time after the event.';


--
-- Name: COLUMN appointment_history.from_history; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.appointment_history.from_history IS 'true: recorded in appointment_events; false: derived from the appointment''s lifecycle columns (legacy row).';


--
-- Name: booking_sources; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.booking_sources AS
 SELECT COALESCE(booking_source, '(none)'::text) AS booking_source,
    count(*) AS appointments,
    round(((100.0 * (count(*))::numeric) / sum(count(*)) OVER ()), 2) AS share_pct,
    min(created_at) AS first_used_at,
    max(created_at) AS last_used_at,
    round((avg(EXTRACT(epoch FROM (starts_at - created_at))) / (3600)::numeric), 2) AS avg_lead_time_hours
   FROM public.appointments a
  WHERE (created_at >= (now() - make_interval(days => 90)))
  GROUP BY COALESCE(booking_source, '(none)'::text);


--
-- Name: VIEW booking_sources; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.booking_sources IS 'Appointments created in the last 90 days by booking_source: count, share, first and last use, and average lead time.';


--
-- Name: COLUMN booking_sources.booking_source; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.booking_sources.booking_source IS 'Booking channel (vocabulary booking_source); ''(none)'' when not recorded.';


--
-- Name: COLUMN booking_sources.appointments; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.booking_sources.appointments IS 'Appointments created through it.';


--
-- Name: COLUMN booking_sources.share_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.booking_sources.share_pct IS 'Its share of all appointments in the window, in percent (0..100).';


--
-- Name: COLUMN booking_sources.first_used_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.booking_sources.first_used_at IS 'created_at of its first appointment in the window.';


--
-- Name: COLUMN booking_sources.last_used_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.booking_sources.last_used_at IS 'created_at of its latest appointment.';


--
-- Name: COLUMN booking_sources.avg_lead_time_hours; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.booking_sources.avg_lead_time_hours IS 'Average hours between booking (created_at) and the appointment''s start (starts_at).';


--
-- Name: cancellations; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.cancellations AS
 SELECT COALESCE(cancelled_by, '(unknown)'::text) AS cancelled_by,
    count(*) AS cancellations,
    round((avg(EXTRACT(epoch FROM (starts_at - cancelled_at))) / (3600)::numeric), 2) AS avg_notice_hours,
    count(*) FILTER (WHERE ((starts_at - cancelled_at) < '24:00:00'::interval)) AS late_cancellations,
    round(((100.0 * (count(*) FILTER (WHERE ((starts_at - cancelled_at) < '24:00:00'::interval)))::numeric) / (count(*))::numeric), 2) AS late_cancellation_pct,
    count(*) FILTER (WHERE (cancelled_at IS NULL)) AS without_cancelled_at
   FROM public.appointments a
  WHERE ((created_at >= (now() - make_interval(days => 90))) AND ((status = 'cancelled'::text) OR (cancelled_at IS NOT NULL)))
  GROUP BY COALESCE(cancelled_by, '(unknown)'::text);


--
-- Name: VIEW cancellations; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.cancellations IS 'Cancelled appointments created in the last 90 days, by who cancelled: count, average notice and late cancellations (under 24 hours before the start).';


--
-- Name: COLUMN cancellations.cancelled_by; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.cancellations.cancelled_by IS 'Actor who cancelled (vocabulary actor); ''(unknown)'' when not recorded.';


--
-- Name: COLUMN cancellations.cancellations; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.cancellations.cancellations IS 'Cancelled appointments (status cancelled or cancelled_at set).';


--
-- Name: COLUMN cancellations.avg_notice_hours; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.cancellations.avg_notice_hours IS 'Average hours between cancellation (cancelled_at) and the appointment''s start; negative: cancelled after the start.';


--
-- Name: COLUMN cancellations.late_cancellations; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.cancellations.late_cancellations IS 'Cancellations less than 24 hours before the start.';


--
-- Name: COLUMN cancellations.late_cancellation_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.cancellations.late_cancellation_pct IS 'late_cancellations / cancellations, in percent (0..100).';


--
-- Name: COLUMN cancellations.without_cancelled_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.cancellations.without_cancelled_at IS 'Cancelled appointments with no cancelled_at (no notice can be computed for them).';


--
-- Name: channel_performance; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.channel_performance AS
 SELECT COALESCE(booking_source, '(none)'::text) AS booking_source,
    COALESCE(created_by, '(unknown)'::text) AS created_by,
    count(*) AS total,
    count(*) FILTER (WHERE (status = ANY (ARRAY['confirmed'::text, 'completed'::text]))) AS confirmed,
    count(*) FILTER (WHERE (status = 'cancelled'::text)) AS cancelled,
    count(*) FILTER (WHERE (status = 'no_show'::text)) AS no_show,
    round(((100.0 * (count(*) FILTER (WHERE (status = ANY (ARRAY['confirmed'::text, 'completed'::text]))))::numeric) / (count(*))::numeric), 2) AS success_rate_pct
   FROM public.appointments a
  WHERE (created_at >= (now() - make_interval(days => 90)))
  GROUP BY COALESCE(booking_source, '(none)'::text), COALESCE(created_by, '(unknown)'::text);


--
-- Name: VIEW channel_performance; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.channel_performance IS 'Appointments created in the last 90 days by booking source and creating actor: total, confirmed, cancelled, no-shows and success rate.';


--
-- Name: COLUMN channel_performance.booking_source; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.channel_performance.booking_source IS 'Booking channel; ''(none)'' when not recorded.';


--
-- Name: COLUMN channel_performance.created_by; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.channel_performance.created_by IS 'Actor who created the appointment; ''(unknown)'' when not recorded.';


--
-- Name: COLUMN channel_performance.total; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.channel_performance.total IS 'Appointments.';


--
-- Name: COLUMN channel_performance.confirmed; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.channel_performance.confirmed IS 'Of these, appointments in status confirmed or completed.';


--
-- Name: COLUMN channel_performance.cancelled; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.channel_performance.cancelled IS 'Of these, appointments in status cancelled.';


--
-- Name: COLUMN channel_performance.no_show; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.channel_performance.no_show IS 'Of these, appointments in status no_show.';


--
-- Name: COLUMN channel_performance.success_rate_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.channel_performance.success_rate_pct IS 'confirmed / total, in percent (0..100).';


--
-- Name: circuit_breakers; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.circuit_breakers AS
 WITH numbered AS (
         SELECT t.key,
            t.from_state,
            t.to_state,
            t.reason,
            t.error,
            t.occurred_at,
            t.id,
            count(*) FILTER (WHERE ((t.from_state = 'closed'::text) AND (t.to_state = 'open'::text))) OVER (PARTITION BY t.key ORDER BY t.occurred_at, t.id) AS outage
           FROM dbguard.circuit_breaker_transitions t
        ), outages AS (
         SELECT n.key,
            n.outage,
            min(n.occurred_at) AS opened_at,
            min(n.occurred_at) FILTER (WHERE (n.to_state = 'closed'::text)) AS closed_at
           FROM numbered n
          WHERE (n.outage > 0)
          GROUP BY n.key, n.outage
        ), outage_stats AS (
         SELECT o.key,
            count(*) AS times_opened,
            count(o.closed_at) AS recoveries,
            (avg(EXTRACT(epoch FROM (o.closed_at - o.opened_at))))::numeric(12,3) AS avg_recovery_seconds,
            (max(EXTRACT(epoch FROM (o.closed_at - o.opened_at))))::numeric(12,3) AS max_recovery_seconds,
            ((array_agg(EXTRACT(epoch FROM (o.closed_at - o.opened_at)) ORDER BY o.outage DESC) FILTER (WHERE (o.closed_at IS NOT NULL)))[1])::numeric(12,3) AS last_recovery_seconds,
            (sum(EXTRACT(epoch FROM (COALESCE(o.closed_at, now()) - o.opened_at))))::numeric(14,3) AS total_seconds_not_closed,
            max(o.opened_at) FILTER (WHERE (o.closed_at IS NULL)) AS current_outage_since
           FROM outages o
          GROUP BY o.key
        ), last_transition AS (
         SELECT DISTINCT ON (t.key) t.key,
            t.from_state,
            t.to_state,
            t.reason,
            t.occurred_at
           FROM dbguard.circuit_breaker_transitions t
          ORDER BY t.key, t.occurred_at DESC, t.id DESC
        )
 SELECT s.key,
    s.state,
    s.failure_count AS consecutive_failures,
    s.success_count AS half_open_successes,
    s.failure_threshold,
    s.success_threshold,
    s.cooldown,
    s.trial_timeout,
    ((s.trial_started_at IS NOT NULL) AND (s.state = 'half_open'::text)) AS trial_in_flight,
    s.last_failure_at,
    dbguard.redact_pii_text(s.last_error) AS last_error,
    s.last_success_at,
    s.state_changed_at,
    ((lt.from_state || ' -> '::text) || lt.to_state) AS last_transition,
    lt.reason AS last_transition_reason,
    lt.occurred_at AS last_transition_at,
        CASE
            WHEN (s.state = 'open'::text) THEN (s.opened_at + s.cooldown)
            ELSE NULL::timestamp with time zone
        END AS trial_possible_at,
    COALESCE(os.times_opened, (0)::bigint) AS times_opened,
    COALESCE(os.recoveries, (0)::bigint) AS recoveries,
    os.current_outage_since,
    (EXTRACT(epoch FROM (now() - os.current_outage_since)))::numeric(14,3) AS current_outage_seconds,
    os.last_recovery_seconds,
    os.avg_recovery_seconds,
    os.max_recovery_seconds,
    COALESCE(os.total_seconds_not_closed, (0)::numeric) AS total_seconds_not_closed
   FROM ((dbguard.circuit_breaker_states s
     LEFT JOIN last_transition lt ON ((lt.key = s.key)))
     LEFT JOIN outage_stats os ON ((os.key = s.key)));


--
-- Name: VIEW circuit_breakers; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.circuit_breakers IS 'One row per circuit breaker key (dbguard.circuit_breaker_states): its state, failures, last transition, and how long it has been or was open (from dbguard.circuit_breaker_transitions). Not limited to 90 days.';


--
-- Name: COLUMN circuit_breakers.key; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.key IS 'Breaker key (one external dependency, e.g. ''calcom'').';


--
-- Name: COLUMN circuit_breakers.state; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.state IS 'closed (calls allowed), open (refused until the cool-down ends) or half_open (a trial is allowed).';


--
-- Name: COLUMN circuit_breakers.consecutive_failures; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.consecutive_failures IS 'Failures in a row since the last success.';


--
-- Name: COLUMN circuit_breakers.half_open_successes; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.half_open_successes IS 'Successful trials so far while half_open.';


--
-- Name: COLUMN circuit_breakers.failure_threshold; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.failure_threshold IS 'Consecutive failures that open the breaker.';


--
-- Name: COLUMN circuit_breakers.success_threshold; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.success_threshold IS 'Successful trials that close it again.';


--
-- Name: COLUMN circuit_breakers.cooldown; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.cooldown IS 'How long it stays open before a trial is allowed.';


--
-- Name: COLUMN circuit_breakers.trial_timeout; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.trial_timeout IS 'After how long a trial that never reported back is given to the next caller.';


--
-- Name: COLUMN circuit_breakers.trial_in_flight; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.trial_in_flight IS 'true while half_open with a trial running.';


--
-- Name: COLUMN circuit_breakers.last_failure_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.last_failure_at IS 'When the last failure was recorded.';


--
-- Name: COLUMN circuit_breakers.last_error; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.last_error IS 'Error text of the last failure.';


--
-- Name: COLUMN circuit_breakers.last_success_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.last_success_at IS 'When the last success was recorded.';


--
-- Name: COLUMN circuit_breakers.state_changed_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.state_changed_at IS 'When the state last changed.';


--
-- Name: COLUMN circuit_breakers.last_transition; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.last_transition IS 'Last transition, as ''from -> to''.';


--
-- Name: COLUMN circuit_breakers.last_transition_reason; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.last_transition_reason IS 'Why the last transition happened.';


--
-- Name: COLUMN circuit_breakers.last_transition_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.last_transition_at IS 'When the last transition happened.';


--
-- Name: COLUMN circuit_breakers.trial_possible_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.trial_possible_at IS 'While open: when the cool-down ends and a trial is allowed.';


--
-- Name: COLUMN circuit_breakers.times_opened; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.times_opened IS 'Outages so far (transitions closed -> open).';


--
-- Name: COLUMN circuit_breakers.recoveries; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.recoveries IS 'Outages that ended (back to closed).';


--
-- Name: COLUMN circuit_breakers.current_outage_since; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.current_outage_since IS 'Start of the current outage (NULL when closed).';


--
-- Name: COLUMN circuit_breakers.current_outage_seconds; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.current_outage_seconds IS 'Seconds the current outage has lasted so far.';


--
-- Name: COLUMN circuit_breakers.last_recovery_seconds; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.last_recovery_seconds IS 'Seconds from open to closed of the last ended outage.';


--
-- Name: COLUMN circuit_breakers.avg_recovery_seconds; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.avg_recovery_seconds IS 'Average seconds from open to closed over the ended outages.';


--
-- Name: COLUMN circuit_breakers.max_recovery_seconds; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.max_recovery_seconds IS 'Longest outage that ended, in seconds.';


--
-- Name: COLUMN circuit_breakers.total_seconds_not_closed; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.circuit_breakers.total_seconds_not_closed IS 'Seconds spent open or half_open, over all outages (the current one up to now).';


--
-- Name: calls; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.calls (
    id bigint NOT NULL,
    company_id bigint,
    branch_id uuid,
    customer_id bigint,
    retell_call_id text,
    direction text,
    call_type text,
    session_outcome text,
    appointment_made boolean DEFAULT false NOT NULL,
    booking_confirmed boolean DEFAULT false NOT NULL,
    call_successful boolean,
    booking_id text,
    booking_details jsonb,
    appointment_id bigint,
    appointment_link_status text DEFAULT 'unlinked'::text,
    appointment_linked_at timestamp with time zone,
    customer_link_status text DEFAULT 'unlinked'::text,
    customer_linked_at timestamp with time zone,
    customer_link_method text,
    customer_link_confidence numeric(5,2),
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT dbguard_calls_customer_link_confidence_range CHECK (((customer_link_confidence >= (0)::numeric) AND (customer_link_confidence <= (100)::numeric)))
);


--
-- Name: consistency_rate_daily; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.consistency_rate_daily AS
 SELECT ((created_at AT TIME ZONE 'UTC'::text))::date AS day,
    count(*) AS calls,
    count(*) FILTER (WHERE ((NOT (session_outcome IS DISTINCT FROM 'appointment_booked'::text)) = appointment_made)) AS consistent_calls,
    count(*) FILTER (WHERE ((session_outcome = 'appointment_booked'::text) AND (NOT appointment_made))) AS booked_outcome_without_flag,
    count(*) FILTER (WHERE (appointment_made AND (session_outcome IS DISTINCT FROM 'appointment_booked'::text))) AS flag_without_booked_outcome,
    round(((100.0 * (count(*) FILTER (WHERE ((NOT (session_outcome IS DISTINCT FROM 'appointment_booked'::text)) = appointment_made)))::numeric) / (count(*))::numeric), 2) AS consistency_rate_pct
   FROM public.calls c
  WHERE (created_at >= (now() - make_interval(days => 90)))
  GROUP BY (((created_at AT TIME ZONE 'UTC'::text))::date);


--
-- Name: VIEW consistency_rate_daily; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.consistency_rate_daily IS 'Per UTC day of calls.created_at (last 90 days): the share of calls whose session_outcome and appointment_made agree. It measures ONE rule only (outcome_flag_sync); see consistency_violations for every rule.';


--
-- Name: COLUMN consistency_rate_daily.day; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_rate_daily.day IS 'UTC calendar day of the calls'' created_at.';


--
-- Name: COLUMN consistency_rate_daily.calls; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_rate_daily.calls IS 'Calls created that day.';


--
-- Name: COLUMN consistency_rate_daily.consistent_calls; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_rate_daily.consistent_calls IS 'Calls whose session_outcome is ''appointment_booked'' exactly when appointment_made is true.';


--
-- Name: COLUMN consistency_rate_daily.booked_outcome_without_flag; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_rate_daily.booked_outcome_without_flag IS 'Calls with session_outcome ''appointment_booked'' but appointment_made false (phantom bookings).';


--
-- Name: COLUMN consistency_rate_daily.flag_without_booked_outcome; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_rate_daily.flag_without_booked_outcome IS 'Calls with appointment_made true but another session_outcome.';


--
-- Name: COLUMN consistency_rate_daily.consistency_rate_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_rate_daily.consistency_rate_pct IS 'consistent_calls / calls, in percent (0..100), rounded to 2 decimals.';


--
-- Name: leads; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.leads (
    id bigint NOT NULL,
    company_id bigint,
    customer_id bigint,
    name text,
    email text,
    phone text,
    appointment_id bigint,
    appointment_start_at timestamp with time zone,
    appointment_end_at timestamp with time zone,
    appointment_status text,
    appointment_canceled_at timestamp with time zone,
    appointment_provider text,
    appointment_source text,
    appointment_last_checked_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: staff; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.staff (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    company_id bigint,
    branch_id uuid,
    name text,
    email text,
    is_active boolean DEFAULT true NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: consistency_violations; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.consistency_violations AS
 SELECT 'appointment_missing_call'::text AS rule,
    'warning'::text AS severity,
    'appointments'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'the appointment''s call_id names a call that does not exist (the foreign key is NOT VALID for legacy rows)'::text AS description,
    'manual: set call_id to the call that made the booking, or to NULL if there was none (nothing is guessed)'::text AS fix,
    d.details
   FROM ( SELECT a.id AS entity_id,
            a.company_id,
            NULL::bigint AS call_id,
            a.created_at,
            jsonb_build_object('missing_call_id', a.call_id) AS details
           FROM public.appointments a
          WHERE ((a.call_id IS NOT NULL) AND (NOT (EXISTS ( SELECT 1
                   FROM public.calls c
                  WHERE (c.id = a.call_id)))))) d
UNION ALL
 SELECT 'booking_denied_with_appointment'::text AS rule,
    'warning'::text AS severity,
    'calls'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'an appointment exists for the call but appointment_made is false and session_outcome denies the booking (e.g. ''no_appointment'' written onto a booked, linked call); a false flag with session_outcome ''appointment_booked'' is phantom_booking'::text AS description,
    'the appointment is the fact: appointment_made = true, session_outcome = ''appointment_booked'''::text AS fix,
    d.details
   FROM ( SELECT c.id AS entity_id,
            c.company_id,
            c.id AS call_id,
            c.created_at,
            jsonb_build_object('session_outcome', c.session_outcome, 'appointment_made', c.appointment_made, 'booking_confirmed', c.booking_confirmed, 'appointment_link_status', c.appointment_link_status) AS details
           FROM public.calls c
          WHERE ((NOT c.appointment_made) AND (c.session_outcome IS DISTINCT FROM 'appointment_booked'::text) AND (EXISTS ( SELECT 1
                   FROM public.appointments a
                  WHERE (a.call_id = c.id))))) d
UNION ALL
 SELECT 'call_missing_direction'::text AS rule,
    'warning'::text AS severity,
    'calls'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'the call has no direction'::text AS description,
    'direction = ''inbound'' (the default of the call_direction_default rule)'::text AS fix,
    d.details
   FROM ( SELECT c.id AS entity_id,
            c.company_id,
            c.id AS call_id,
            c.created_at,
            jsonb_build_object('call_type', c.call_type) AS details
           FROM public.calls c
          WHERE (c.direction IS NULL)) d
UNION ALL
 SELECT 'confirmed_without_appointment'::text AS rule,
    'critical'::text AS severity,
    'calls'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'booking_confirmed is true but no appointment exists for the call (and no appointment carries its booking id: that case is orphaned_appointment)'::text AS description,
    'flags rolled back (appointment_made = false, booking_confirmed = false, session_outcome and appointment_link_status ''creation_failed'') and a manual review entry; a call with booking_details is left for `dbguard backfill appointments` (manual review entry only)'::text AS fix,
    d.details
   FROM ( SELECT c.id AS entity_id,
            c.company_id,
            c.id AS call_id,
            c.created_at,
            jsonb_build_object('booking_id', c.booking_id, 'appointment_made', c.appointment_made, 'session_outcome', c.session_outcome, 'has_booking_details', (c.booking_details IS NOT NULL)) AS details
           FROM public.calls c
          WHERE (c.booking_confirmed AND (NOT (EXISTS ( SELECT 1
                   FROM public.appointments a
                  WHERE (a.call_id = c.id)))) AND (NOT (EXISTS ( SELECT 1
                   FROM public.appointments a
                  WHERE ((a.call_id IS NULL) AND (c.booking_id IS NOT NULL) AND ((a.calcom_v2_booking_id = c.booking_id) OR (a.external_id = c.booking_id)))))))) d
UNION ALL
 SELECT 'cross_tenant_staff'::text AS rule,
    'critical'::text AS severity,
    'appointments'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'the appointment''s staff member belongs to another company'::text AS description,
    'manual review (which staff member was meant cannot be derived); reconcile queues each one'::text AS fix,
    d.details
   FROM ( SELECT a.id AS entity_id,
            a.company_id,
            a.call_id,
            a.created_at,
            jsonb_build_object('staff_id', a.staff_id, 'staff_company_id', s.company_id) AS details
           FROM (public.appointments a
             JOIN public.staff s ON ((s.id = a.staff_id)))
          WHERE (s.company_id IS DISTINCT FROM a.company_id)) d
UNION ALL
 SELECT 'lead_rollup_drift'::text AS rule,
    'warning'::text AS severity,
    'leads'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'a lead''s rollup columns (appointment_id, _start_at, _end_at, _status, _canceled_at, _provider, _source) differ from its primary appointment: the next upcoming active one, else the latest active, else the latest cancelled; all empty when none. Leads without any appointment are left alone (their rollup is the input of `dbguard backfill lead-history`)'::text AS description,
    'the rollup columns are recomputed from the primary appointment, as the lead_rollup rule does (appointment_source = its booking_source; appointment_last_checked_at = now())'::text AS fix,
    d.details
   FROM ( SELECT l.id AS entity_id,
            l.company_id,
            NULL::bigint AS call_id,
            l.created_at,
            jsonb_build_object('rollup_appointment_id', l.appointment_id, 'primary_appointment_id', p.id, 'rollup_status', l.appointment_status, 'primary_status', p.status) AS details
           FROM (public.leads l
             LEFT JOIN LATERAL ( SELECT a.id,
                    a.starts_at,
                    a.ends_at,
                    a.status,
                    a.cancelled_at,
                    a.provider,
                    a.booking_source
                   FROM (public.appointments a
                     LEFT JOIN dbguard.vocabularies v ON (((v.vocabulary = 'appointment_status'::text) AND (v.code = a.status) AND v.is_active)))
                  WHERE ((a.lead_id = l.id) AND ((v.code IS NOT NULL) OR (a.status = 'cancelled'::text)))
                  ORDER BY
                        CASE
                            WHEN ((v.code IS NOT NULL) AND (a.starts_at >= now())) THEN 0
                            WHEN (v.code IS NOT NULL) THEN 1
                            ELSE 2
                        END,
                        CASE
                            WHEN ((v.code IS NOT NULL) AND (a.starts_at >= now())) THEN a.starts_at
                            ELSE NULL::timestamp with time zone
                        END, a.starts_at DESC NULLS LAST, a.id DESC
                 LIMIT 1) p ON (true))
          WHERE ((EXISTS ( SELECT 1
                   FROM public.appointments a
                  WHERE (a.lead_id = l.id))) AND ((l.appointment_id IS DISTINCT FROM p.id) OR (l.appointment_start_at IS DISTINCT FROM p.starts_at) OR (l.appointment_end_at IS DISTINCT FROM p.ends_at) OR (l.appointment_status IS DISTINCT FROM p.status) OR (l.appointment_canceled_at IS DISTINCT FROM p.cancelled_at) OR (l.appointment_provider IS DISTINCT FROM p.provider) OR (l.appointment_source IS DISTINCT FROM p.booking_source)))) d
UNION ALL
 SELECT 'link_status_mismatch'::text AS rule,
    'warning'::text AS severity,
    'calls'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'appointment_link_status / appointment_id disagree with the appointments that exist for the call (''linked'' without an appointment, or an appointment but not ''linked'' or no appointment_id)'::text AS description,
    'an appointment exists → ''linked'', appointment_id = the latest appointment if unset or not the call''s, appointment_linked_at set; none exists → ''unlinked'', appointment_id and appointment_linked_at cleared'::text AS fix,
    d.details
   FROM ( SELECT c.id AS entity_id,
            c.company_id,
            c.id AS call_id,
            c.created_at,
            jsonb_build_object('appointment_link_status', c.appointment_link_status, 'appointment_id', c.appointment_id, 'appointment_exists', (x.latest_id IS NOT NULL)) AS details
           FROM (public.calls c
             CROSS JOIN LATERAL ( SELECT max(a.id) AS latest_id,
                    bool_or((a.id = c.appointment_id)) AS points_to_own
                   FROM public.appointments a
                  WHERE (a.call_id = c.id)) x)
          WHERE (((x.latest_id IS NOT NULL) AND ((c.appointment_link_status IS DISTINCT FROM 'linked'::text) OR (NOT COALESCE(x.points_to_own, false)))) OR ((x.latest_id IS NULL) AND (c.appointment_link_status = 'linked'::text)))) d
UNION ALL
 SELECT 'made_without_appointment'::text AS rule,
    'critical'::text AS severity,
    'calls'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'appointment_made is true but no appointment exists for the call (and no appointment carries its booking id: that case is orphaned_appointment)'::text AS description,
    'flags rolled back (appointment_made = false, booking_confirmed = false, session_outcome and appointment_link_status ''creation_failed'') and a manual review entry; a call with booking_details is left for `dbguard backfill appointments` (manual review entry only)'::text AS fix,
    d.details
   FROM ( SELECT c.id AS entity_id,
            c.company_id,
            c.id AS call_id,
            c.created_at,
            jsonb_build_object('booking_id', c.booking_id, 'booking_confirmed', c.booking_confirmed, 'session_outcome', c.session_outcome, 'has_booking_details', (c.booking_details IS NOT NULL)) AS details
           FROM public.calls c
          WHERE (c.appointment_made AND (NOT (EXISTS ( SELECT 1
                   FROM public.appointments a
                  WHERE (a.call_id = c.id)))) AND (NOT (EXISTS ( SELECT 1
                   FROM public.appointments a
                  WHERE ((a.call_id IS NULL) AND (c.booking_id IS NOT NULL) AND ((a.calcom_v2_booking_id = c.booking_id) OR (a.external_id = c.booking_id)))))))) d
UNION ALL
 SELECT 'missing_lifecycle_metadata'::text AS rule,
    'warning'::text AS severity,
    'appointments'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'a lifecycle column is empty: created_by or booking_source; cancelled_at or cancelled_by on a cancelled appointment; rescheduled_by on a rescheduled one'::text AS description,
    'none automatic here (the actor cannot be known afterwards): run `dbguard backfill metadata`, which derives it from `source`'::text AS fix,
    d.details
   FROM ( SELECT a.id AS entity_id,
            a.company_id,
            a.call_id,
            a.created_at,
            jsonb_build_object('missing', to_jsonb(array_remove(ARRAY[
                CASE
                    WHEN (a.created_by IS NULL) THEN 'created_by'::text
                    ELSE NULL::text
                END,
                CASE
                    WHEN (a.booking_source IS NULL) THEN 'booking_source'::text
                    ELSE NULL::text
                END,
                CASE
                    WHEN ((a.status = 'cancelled'::text) AND (a.cancelled_at IS NULL)) THEN 'cancelled_at'::text
                    ELSE NULL::text
                END,
                CASE
                    WHEN ((a.status = 'cancelled'::text) AND (a.cancelled_by IS NULL)) THEN 'cancelled_by'::text
                    ELSE NULL::text
                END,
                CASE
                    WHEN ((a.rescheduled_at IS NOT NULL) AND (a.rescheduled_by IS NULL)) THEN 'rescheduled_by'::text
                    ELSE NULL::text
                END], NULL::text)), 'source', a.source) AS details
           FROM public.appointments a
          WHERE ((a.created_by IS NULL) OR (a.booking_source IS NULL) OR ((a.status = 'cancelled'::text) AND ((a.cancelled_at IS NULL) OR (a.cancelled_by IS NULL))) OR ((a.rescheduled_at IS NOT NULL) AND (a.rescheduled_by IS NULL)))) d
UNION ALL
 SELECT 'orphaned_appointment'::text AS rule,
    'warning'::text AS severity,
    'appointments'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'the appointment has no call, but a call carries its booking id (calls.booking_id = calcom_v2_booking_id or external_id)'::text AS description,
    'the appointment is linked to that call (the oldest one if several) and the call''s appointment_id, appointment_link_status = ''linked'' and appointment_linked_at are set'::text AS fix,
    d.details
   FROM ( SELECT a.id AS entity_id,
            a.company_id,
            m.call_id,
            a.created_at,
            jsonb_build_object('booking_id', m.booking_id, 'call_id', m.call_id) AS details
           FROM (public.appointments a
             CROSS JOIN LATERAL ( SELECT c.id AS call_id,
                    c.booking_id
                   FROM public.calls c
                  WHERE (c.booking_id = ANY (ARRAY[a.calcom_v2_booking_id, a.external_id]))
                  ORDER BY c.id
                 LIMIT 1) m)
          WHERE ((a.call_id IS NULL) AND (EXISTS ( SELECT 1
                   FROM public.calls c
                  WHERE (c.booking_id = ANY (ARRAY[a.calcom_v2_booking_id, a.external_id])))))) d
UNION ALL
 SELECT 'phantom_booking'::text AS rule,
    'critical'::text AS severity,
    'calls'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'the call''s session_outcome says ''appointment_booked'' but appointment_made is false'::text AS description,
    'an appointment exists for the call → appointment_made = true; none exists → the claimed outcome is rolled back (session_outcome and appointment_link_status ''creation_failed'', booking_confirmed false) and the call is queued for manual review'::text AS fix,
    d.details
   FROM ( SELECT c.id AS entity_id,
            c.company_id,
            c.id AS call_id,
            c.created_at,
            jsonb_build_object('session_outcome', c.session_outcome, 'appointment_made', c.appointment_made, 'booking_confirmed', c.booking_confirmed) AS details
           FROM public.calls c
          WHERE ((c.session_outcome = 'appointment_booked'::text) AND (NOT c.appointment_made))) d
UNION ALL
 SELECT 'pii_in_metadata'::text AS rule,
    'warning'::text AS severity,
    'appointments'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'appointments.metadata contains an e-mail address or an international phone number (a + followed by 7 or more digits and separators)'::text AS description,
    'each e-mail address is replaced by ''[redacted-email]'' and each phone number by ''[redacted-phone]'' inside the JSON text'::text AS fix,
    d.details
   FROM ( SELECT a.id AS entity_id,
            a.company_id,
            a.call_id,
            a.created_at,
            jsonb_build_object('email', ((a.metadata)::text ~ '[A-Za-z0-9._+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}'::text), 'phone', ((a.metadata)::text ~ '\+[0-9][0-9 ()/.-]{5,}[0-9]'::text)) AS details
           FROM public.appointments a
          WHERE ((a.metadata IS NOT NULL) AND ((a.metadata)::text ~ '([A-Za-z0-9._+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})|(\+[0-9][0-9 ()/.-]{5,}[0-9])'::text))) d
UNION ALL
 SELECT 'reschedule_chain_cross_lead'::text AS rule,
    'warning'::text AS severity,
    'appointments'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'the appointment replaces (rescheduled_from_id) an appointment of another lead and customer'::text AS description,
    'manual review (which lead the chain belongs to cannot be derived); reconcile queues each one'::text AS fix,
    d.details
   FROM ( SELECT a.id AS entity_id,
            a.company_id,
            a.call_id,
            a.created_at,
            jsonb_build_object('rescheduled_from_id', a.rescheduled_from_id, 'lead_id', a.lead_id, 'customer_id', a.customer_id, 'predecessor_lead_id', p.lead_id, 'predecessor_customer_id', p.customer_id) AS details
           FROM (public.appointments a
             JOIN public.appointments p ON ((p.id = a.rescheduled_from_id)))
          WHERE ((NOT COALESCE(((a.lead_id = p.lead_id) OR (a.customer_id = p.customer_id)), false)) AND COALESCE(((a.lead_id <> p.lead_id) OR (a.customer_id <> p.customer_id)), false))) d
UNION ALL
 SELECT 'unassigned_staff'::text AS rule,
    'warning'::text AS severity,
    'appointments'::text AS entity_type,
    d.entity_id,
    d.company_id,
    d.call_id,
    d.created_at,
    'the appointment has a cal.com host but no staff member'::text AS description,
    'staff_id = the staff of an active host mapping for that host whose staff is active and of the appointment''s company (highest confidence first); hosts without such a mapping stay for manual review (see dbguard_audit.staff_assignment)'::text AS fix,
    d.details
   FROM ( SELECT a.id AS entity_id,
            a.company_id,
            a.call_id,
            a.created_at,
            jsonb_build_object('calcom_host_id', a.calcom_host_id) AS details
           FROM public.appointments a
          WHERE ((a.staff_id IS NULL) AND (a.calcom_host_id IS NOT NULL))) d;


--
-- Name: VIEW consistency_violations; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.consistency_violations IS 'Rows that currently break a detection rule of the rule catalog (sql/catalog/ plus your --catalog-dir), one row per offending row and rule: what `dbguard check` finds, live, not a history.';


--
-- Name: COLUMN consistency_violations.rule; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.rule IS 'Detection rule that the row breaks (its file name in the catalog). One of: appointment_missing_call, booking_denied_with_appointment, call_missing_direction, confirmed_without_appointment, cross_tenant_staff, lead_rollup_drift, link_status_mismatch, made_without_appointment, missing_lifecycle_metadata, orphaned_appointment, phantom_booking, pii_in_metadata, reschedule_chain_cross_lead, unassigned_staff.';


--
-- Name: COLUMN consistency_violations.severity; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.severity IS 'Severity of the rule: critical, warning or info.';


--
-- Name: COLUMN consistency_violations.entity_type; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.entity_type IS 'Table the offending row is in (calls or appointments).';


--
-- Name: COLUMN consistency_violations.entity_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.entity_id IS 'id of the offending row in entity_type.';


--
-- Name: COLUMN consistency_violations.company_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.company_id IS 'Company (tenant) of the offending row.';


--
-- Name: COLUMN consistency_violations.call_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.call_id IS 'The call the offending row belongs to, where there is one.';


--
-- Name: COLUMN consistency_violations.created_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.created_at IS 'created_at of the offending row (what `check --since` filters on).';


--
-- Name: COLUMN consistency_violations.description; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.description IS 'What the rule finds wrong, in words.';


--
-- Name: COLUMN consistency_violations.fix; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.fix IS 'What `dbguard reconcile` does about it (''manual review'' when nothing is automatic).';


--
-- Name: COLUMN consistency_violations.details; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.consistency_violations.details IS 'The offending row''s relevant values (JSON), for investigation.';


--
-- Name: link_status; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.link_status AS
 SELECT 'appointment'::text AS link,
    COALESCE(c.appointment_link_status, '(not known)'::text) AS status,
    count(*) AS calls,
    round(((100.0 * (count(*))::numeric) / sum(count(*)) OVER ()), 2) AS share_pct,
    count(c.appointment_id) AS with_target,
    min(c.created_at) AS oldest_call_at,
    max(c.created_at) AS newest_call_at
   FROM public.calls c
  WHERE (c.created_at >= (now() - make_interval(days => 90)))
  GROUP BY 'appointment'::text, COALESCE(c.appointment_link_status, '(not known)'::text)
UNION ALL
 SELECT 'customer'::text AS link,
    COALESCE(c.customer_link_status, '(not known)'::text) AS status,
    count(*) AS calls,
    round(((100.0 * (count(*))::numeric) / sum(count(*)) OVER ()), 2) AS share_pct,
    count(c.customer_id) AS with_target,
    min(c.created_at) AS oldest_call_at,
    max(c.created_at) AS newest_call_at
   FROM public.calls c
  WHERE (c.created_at >= (now() - make_interval(days => 90)))
  GROUP BY 'customer'::text, COALESCE(c.customer_link_status, '(not known)'::text);


--
-- Name: VIEW link_status; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.link_status IS 'Calls created in the last 90 days by appointment link status and by customer link status: count, share and time span.';


--
-- Name: COLUMN link_status.link; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.link_status.link IS 'Which link: ''appointment'' (calls.appointment_link_status) or ''customer'' (calls.customer_link_status).';


--
-- Name: COLUMN link_status.status; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.link_status.status IS 'Link status (unlinked, linked, creation_failed); ''(not known)'' for legacy rows whose status was never recorded.';


--
-- Name: COLUMN link_status.calls; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.link_status.calls IS 'Calls in this status.';


--
-- Name: COLUMN link_status.share_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.link_status.share_pct IS 'Their share of all calls of the window for this link, in percent (0..100).';


--
-- Name: COLUMN link_status.with_target; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.link_status.with_target IS 'Of these, calls that have the target set (calls.appointment_id or calls.customer_id).';


--
-- Name: COLUMN link_status.oldest_call_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.link_status.oldest_call_at IS 'created_at of the oldest such call.';


--
-- Name: COLUMN link_status.newest_call_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.link_status.newest_call_at IS 'created_at of the newest such call.';


--
-- Name: metadata_completeness; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.metadata_completeness AS
 SELECT ((created_at AT TIME ZONE 'UTC'::text))::date AS day,
    count(*) AS appointments,
    round(((100.0 * (count(created_by))::numeric) / (count(*))::numeric), 2) AS created_by_pct,
    round(((100.0 * (count(booking_source))::numeric) / (count(*))::numeric), 2) AS booking_source_pct,
    count(*) FILTER (WHERE (status = 'cancelled'::text)) AS cancelled,
    round(((100.0 * (count(cancelled_at) FILTER (WHERE (status = 'cancelled'::text)))::numeric) / (NULLIF(count(*) FILTER (WHERE (status = 'cancelled'::text)), 0))::numeric), 2) AS cancelled_at_pct,
    round(((100.0 * (count(cancelled_by) FILTER (WHERE (status = 'cancelled'::text)))::numeric) / (NULLIF(count(*) FILTER (WHERE (status = 'cancelled'::text)), 0))::numeric), 2) AS cancelled_by_pct,
    round(((100.0 * (count(cancelled_by_user_id) FILTER (WHERE (status = 'cancelled'::text)))::numeric) / (NULLIF(count(*) FILTER (WHERE (status = 'cancelled'::text)), 0))::numeric), 2) AS cancelled_by_user_id_pct,
    count(*) FILTER (WHERE ((rescheduled_at IS NOT NULL) OR (status = 'rescheduled'::text))) AS rescheduled,
    round(((100.0 * (count(rescheduled_at) FILTER (WHERE ((rescheduled_at IS NOT NULL) OR (status = 'rescheduled'::text))))::numeric) / (NULLIF(count(*) FILTER (WHERE ((rescheduled_at IS NOT NULL) OR (status = 'rescheduled'::text))), 0))::numeric), 2) AS rescheduled_at_pct,
    round(((100.0 * (count(rescheduled_by) FILTER (WHERE ((rescheduled_at IS NOT NULL) OR (status = 'rescheduled'::text))))::numeric) / (NULLIF(count(*) FILTER (WHERE ((rescheduled_at IS NOT NULL) OR (status = 'rescheduled'::text))), 0))::numeric), 2) AS rescheduled_by_pct,
    round(((100.0 * (count(rescheduled_by_user_id) FILTER (WHERE ((rescheduled_at IS NOT NULL) OR (status = 'rescheduled'::text))))::numeric) / (NULLIF(count(*) FILTER (WHERE ((rescheduled_at IS NOT NULL) OR (status = 'rescheduled'::text))), 0))::numeric), 2) AS rescheduled_by_user_id_pct
   FROM public.appointments a
  WHERE (created_at >= (now() - make_interval(days => 90)))
  GROUP BY (((created_at AT TIME ZONE 'UTC'::text))::date);


--
-- Name: VIEW metadata_completeness; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.metadata_completeness IS 'Per UTC day of appointments.created_at (last 90 days): how complete the lifecycle audit columns are, each as a percentage of the appointments it applies to.';


--
-- Name: COLUMN metadata_completeness.day; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.day IS 'UTC calendar day of the appointments'' created_at.';


--
-- Name: COLUMN metadata_completeness.appointments; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.appointments IS 'Appointments created that day.';


--
-- Name: COLUMN metadata_completeness.created_by_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.created_by_pct IS 'Share of those appointments with created_by set, in percent (0..100).';


--
-- Name: COLUMN metadata_completeness.booking_source_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.booking_source_pct IS 'Share of those appointments with booking_source set, in percent.';


--
-- Name: COLUMN metadata_completeness.cancelled; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.cancelled IS 'Of those appointments, how many have status cancelled.';


--
-- Name: COLUMN metadata_completeness.cancelled_at_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.cancelled_at_pct IS 'Share of the cancelled ones with cancelled_at set, in percent; NULL when none is cancelled.';


--
-- Name: COLUMN metadata_completeness.cancelled_by_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.cancelled_by_pct IS 'Share of the cancelled ones with cancelled_by set, in percent; NULL when none is cancelled.';


--
-- Name: COLUMN metadata_completeness.cancelled_by_user_id_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.cancelled_by_user_id_pct IS 'Share of the cancelled ones with cancelled_by_user_id set, in percent (only set when a user cancelled).';


--
-- Name: COLUMN metadata_completeness.rescheduled; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.rescheduled IS 'Of those appointments, how many were rescheduled (rescheduled_at set or status rescheduled).';


--
-- Name: COLUMN metadata_completeness.rescheduled_at_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.rescheduled_at_pct IS 'Share of the rescheduled ones with rescheduled_at set, in percent; NULL when none was rescheduled.';


--
-- Name: COLUMN metadata_completeness.rescheduled_by_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.rescheduled_by_pct IS 'Share of the rescheduled ones with rescheduled_by set, in percent; NULL when none was rescheduled.';


--
-- Name: COLUMN metadata_completeness.rescheduled_by_user_id_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.metadata_completeness.rescheduled_by_user_id_pct IS 'Share of the rescheduled ones with rescheduled_by_user_id set, in percent (only set when a user rescheduled).';


--
-- Name: reschedules; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.reschedules AS
 SELECT COALESCE(rescheduled_by, '(unknown)'::text) AS rescheduled_by,
    (EXTRACT(isodow FROM (rescheduled_at AT TIME ZONE 'UTC'::text)))::integer AS weekday,
    TRIM(BOTH FROM to_char((rescheduled_at AT TIME ZONE 'UTC'::text), 'Day'::text)) AS weekday_name,
    (EXTRACT(hour FROM (rescheduled_at AT TIME ZONE 'UTC'::text)))::integer AS hour,
    count(*) AS reschedules
   FROM public.appointments a
  WHERE ((created_at >= (now() - make_interval(days => 90))) AND (rescheduled_at IS NOT NULL))
  GROUP BY COALESCE(rescheduled_by, '(unknown)'::text), ((EXTRACT(isodow FROM (rescheduled_at AT TIME ZONE 'UTC'::text)))::integer), (TRIM(BOTH FROM to_char((rescheduled_at AT TIME ZONE 'UTC'::text), 'Day'::text))), ((EXTRACT(hour FROM (rescheduled_at AT TIME ZONE 'UTC'::text)))::integer);


--
-- Name: VIEW reschedules; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.reschedules IS 'Rescheduled appointments created in the last 90 days, by who rescheduled, ISO weekday and UTC hour of the reschedule.';


--
-- Name: COLUMN reschedules.rescheduled_by; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.reschedules.rescheduled_by IS 'Actor who rescheduled (vocabulary actor); ''(unknown)'' when not recorded.';


--
-- Name: COLUMN reschedules.weekday; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.reschedules.weekday IS 'ISO weekday of rescheduled_at in UTC: 1 = Monday .. 7 = Sunday.';


--
-- Name: COLUMN reschedules.weekday_name; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.reschedules.weekday_name IS 'English name of that weekday.';


--
-- Name: COLUMN reschedules.hour; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.reschedules.hour IS 'Hour of rescheduled_at in UTC, 0..23.';


--
-- Name: COLUMN reschedules.reschedules; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.reschedules.reschedules IS 'Rescheduled appointments.';


--
-- Name: review_queue; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.review_queue AS
 SELECT q.id,
    q.call_id,
    c.company_id,
    q.reason,
    q.priority,
    q.status,
    (q.status = ANY (ARRAY['pending'::text, 'in_progress'::text])) AS is_open,
    q.created_at,
    q.updated_at,
    q.resolved_at,
    q.resolved_by,
    q.resolution_note,
    round((EXTRACT(epoch FROM (COALESCE(q.resolved_at, now()) - q.created_at)) / (3600)::numeric), 2) AS age_hours,
    dbguard.redact_pii(q.context) AS context
   FROM (dbguard.manual_review_queue q
     LEFT JOIN public.calls c ON ((c.id = q.call_id)));


--
-- Name: VIEW review_queue; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.review_queue IS 'The manual review queue (dbguard.manual_review_queue) with each entry''s company and age: the cases no rule could repair automatically.';


--
-- Name: COLUMN review_queue.id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.id IS 'Review entry id (what `dbguard review resolve ID` takes).';


--
-- Name: COLUMN review_queue.call_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.call_id IS 'The call to look at.';


--
-- Name: COLUMN review_queue.company_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.company_id IS 'Company (tenant) of the call.';


--
-- Name: COLUMN review_queue.reason; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.reason IS 'Why it needs review (e.g. appointment_validation_failed, service_not_found).';


--
-- Name: COLUMN review_queue.priority; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.priority IS '1 (most urgent) .. 5, from the reason.';


--
-- Name: COLUMN review_queue.status; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.status IS 'pending, in_progress, resolved or dismissed.';


--
-- Name: COLUMN review_queue.is_open; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.is_open IS 'true while pending or in_progress.';


--
-- Name: COLUMN review_queue.created_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.created_at IS 'When the entry was queued.';


--
-- Name: COLUMN review_queue.updated_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.updated_at IS 'When it last changed.';


--
-- Name: COLUMN review_queue.resolved_at; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.resolved_at IS 'When it was resolved or dismissed.';


--
-- Name: COLUMN review_queue.resolved_by; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.resolved_by IS 'Who resolved or dismissed it.';


--
-- Name: COLUMN review_queue.resolution_note; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.resolution_note IS 'What was done.';


--
-- Name: COLUMN review_queue.age_hours; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.age_hours IS 'Hours from queueing until resolution, or until now while open.';


--
-- Name: COLUMN review_queue.context; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.review_queue.context IS 'Evidence collected when the entry was queued (JSON).';


--
-- Name: calcom_host_mappings; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.calcom_host_mappings (
    id bigint NOT NULL,
    staff_id uuid,
    calcom_host_id integer,
    calcom_name text,
    calcom_email text,
    calcom_username text,
    calcom_timezone text,
    mapping_source text,
    confidence_score smallint,
    last_synced_at timestamp with time zone,
    is_active boolean DEFAULT true NOT NULL,
    metadata jsonb,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    company_id bigint,
    CONSTRAINT dbguard_host_mappings_confidence_range CHECK (((confidence_score >= 0) AND (confidence_score <= 100)))
);


--
-- Name: COLUMN calcom_host_mappings.company_id; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON COLUMN public.calcom_host_mappings.company_id IS 'dbguard: company the calendar host belongs to; staff_id must be staff of this company (rule staff_tenant_isolation). NULL on legacy rows = the staff''s company.';


--
-- Name: staff_assignment; Type: VIEW; Schema: dbguard_audit; Owner: -
--

CREATE VIEW dbguard_audit.staff_assignment AS
 SELECT a.company_id,
    count(*) AS appointments,
    count(a.staff_id) AS assigned,
    round(((100.0 * (count(a.staff_id))::numeric) / (count(*))::numeric), 2) AS assignment_rate_pct,
    count(*) FILTER (WHERE (a.calcom_host_id IS NOT NULL)) AS with_host,
    count(*) FILTER (WHERE (m.mapping_source = 'auto_email'::text)) AS via_auto_email,
    count(*) FILTER (WHERE (m.mapping_source = 'auto_name'::text)) AS via_auto_name,
    count(*) FILTER (WHERE (m.mapping_source = 'manual'::text)) AS via_manual,
    count(*) FILTER (WHERE (m.mapping_source = 'admin'::text)) AS via_admin,
    count(*) FILTER (WHERE ((a.staff_id IS NOT NULL) AND (a.calcom_host_id IS NOT NULL) AND (m.mapping_source IS NULL))) AS without_mapping,
    count(*) FILTER (WHERE ((a.staff_id IS NULL) AND (a.calcom_host_id IS NOT NULL))) AS unresolved_appointments,
    count(DISTINCT a.calcom_host_id) FILTER (WHERE ((a.staff_id IS NULL) AND (a.calcom_host_id IS NOT NULL))) AS unresolved_hosts
   FROM (public.appointments a
     LEFT JOIN LATERAL ( SELECT hm.mapping_source
           FROM public.calcom_host_mappings hm
          WHERE ((hm.calcom_host_id = a.calcom_host_id) AND (hm.staff_id = a.staff_id))
         LIMIT 1) m ON (true))
  WHERE (a.created_at >= (now() - make_interval(days => 90)))
  GROUP BY a.company_id;


--
-- Name: VIEW staff_assignment; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON VIEW dbguard_audit.staff_assignment IS 'Per company, appointments created in the last 90 days: how many have staff assigned, through which kind of cal.com host mapping, and how many hosts are still unresolved.';


--
-- Name: COLUMN staff_assignment.company_id; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.company_id IS 'Company (tenant).';


--
-- Name: COLUMN staff_assignment.appointments; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.appointments IS 'Appointments of the company.';


--
-- Name: COLUMN staff_assignment.assigned; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.assigned IS 'Of these, appointments with staff_id set.';


--
-- Name: COLUMN staff_assignment.assignment_rate_pct; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.assignment_rate_pct IS 'assigned / appointments, in percent (0..100).';


--
-- Name: COLUMN staff_assignment.with_host; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.with_host IS 'Appointments with a cal.com host (calcom_host_id).';


--
-- Name: COLUMN staff_assignment.via_auto_email; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.via_auto_email IS 'Appointments whose host-to-staff mapping was matched automatically by e-mail.';


--
-- Name: COLUMN staff_assignment.via_auto_name; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.via_auto_name IS 'Appointments whose host-to-staff mapping was matched automatically by full name.';


--
-- Name: COLUMN staff_assignment.via_manual; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.via_manual IS 'Appointments whose mapping was made by hand (mapping_source manual).';


--
-- Name: COLUMN staff_assignment.via_admin; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.via_admin IS 'Appointments whose mapping was set by an admin (mapping_source admin).';


--
-- Name: COLUMN staff_assignment.without_mapping; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.without_mapping IS 'Appointments with host and staff but no matching mapping row.';


--
-- Name: COLUMN staff_assignment.unresolved_appointments; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.unresolved_appointments IS 'Appointments with a host but no staff.';


--
-- Name: COLUMN staff_assignment.unresolved_hosts; Type: COMMENT; Schema: dbguard_audit; Owner: -
--

COMMENT ON COLUMN dbguard_audit.staff_assignment.unresolved_hosts IS 'Distinct cal.com hosts of those appointments (hosts to map).';


--
-- Name: appointment_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.appointment_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: appointment_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.appointment_events_id_seq OWNED BY public.appointment_events.id;


--
-- Name: appointments_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.appointments_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: appointments_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.appointments_id_seq OWNED BY public.appointments.id;


--
-- Name: branches; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.branches (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    company_id bigint,
    name text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: calcom_host_mapping_audits; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.calcom_host_mapping_audits (
    id bigint NOT NULL,
    mapping_id bigint,
    action text,
    old_values jsonb,
    new_values jsonb,
    changed_by bigint,
    changed_at timestamp with time zone DEFAULT now() NOT NULL,
    reason text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    actor text,
    db_user text
);


--
-- Name: calcom_host_mapping_audits_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.calcom_host_mapping_audits_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: calcom_host_mapping_audits_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.calcom_host_mapping_audits_id_seq OWNED BY public.calcom_host_mapping_audits.id;


--
-- Name: calcom_host_mappings_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.calcom_host_mappings_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: calcom_host_mappings_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.calcom_host_mappings_id_seq OWNED BY public.calcom_host_mappings.id;


--
-- Name: calls_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.calls_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: calls_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.calls_id_seq OWNED BY public.calls.id;


--
-- Name: companies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.companies (
    id bigint NOT NULL,
    name text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: companies_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.companies_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: companies_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.companies_id_seq OWNED BY public.companies.id;


--
-- Name: customers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.customers (
    id bigint NOT NULL,
    company_id bigint,
    name text,
    email text,
    phone text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: customers_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.customers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: customers_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.customers_id_seq OWNED BY public.customers.id;


--
-- Name: leads_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.leads_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: leads_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.leads_id_seq OWNED BY public.leads.id;


--
-- Name: services; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.services (
    id bigint NOT NULL,
    company_id bigint,
    branch_id uuid,
    name text,
    duration_minutes integer,
    calcom_event_type_id bigint,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: services_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.services_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: services_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.services_id_seq OWNED BY public.services.id;


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id bigint NOT NULL,
    company_id bigint,
    name text,
    email text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;


--
-- Name: circuit_breaker_transitions id; Type: DEFAULT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.circuit_breaker_transitions ALTER COLUMN id SET DEFAULT nextval('dbguard.circuit_breaker_transitions_id_seq'::regclass);


--
-- Name: data_consistency_alerts id; Type: DEFAULT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.data_consistency_alerts ALTER COLUMN id SET DEFAULT nextval('dbguard.data_consistency_alerts_id_seq'::regclass);


--
-- Name: manual_review_queue id; Type: DEFAULT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.manual_review_queue ALTER COLUMN id SET DEFAULT nextval('dbguard.manual_review_queue_id_seq'::regclass);


--
-- Name: appointment_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointment_events ALTER COLUMN id SET DEFAULT nextval('public.appointment_events_id_seq'::regclass);


--
-- Name: appointments id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointments ALTER COLUMN id SET DEFAULT nextval('public.appointments_id_seq'::regclass);


--
-- Name: calcom_host_mapping_audits id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calcom_host_mapping_audits ALTER COLUMN id SET DEFAULT nextval('public.calcom_host_mapping_audits_id_seq'::regclass);


--
-- Name: calcom_host_mappings id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calcom_host_mappings ALTER COLUMN id SET DEFAULT nextval('public.calcom_host_mappings_id_seq'::regclass);


--
-- Name: calls id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calls ALTER COLUMN id SET DEFAULT nextval('public.calls_id_seq'::regclass);


--
-- Name: companies id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.companies ALTER COLUMN id SET DEFAULT nextval('public.companies_id_seq'::regclass);


--
-- Name: customers id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customers ALTER COLUMN id SET DEFAULT nextval('public.customers_id_seq'::regclass);


--
-- Name: leads id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leads ALTER COLUMN id SET DEFAULT nextval('public.leads_id_seq'::regclass);


--
-- Name: services id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.services ALTER COLUMN id SET DEFAULT nextval('public.services_id_seq'::regclass);


--
-- Name: users id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);


--
-- Name: circuit_breaker_states circuit_breaker_states_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.circuit_breaker_states
    ADD CONSTRAINT circuit_breaker_states_pkey PRIMARY KEY (key);


--
-- Name: circuit_breaker_transitions circuit_breaker_transitions_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.circuit_breaker_transitions
    ADD CONSTRAINT circuit_breaker_transitions_pkey PRIMARY KEY (id);


--
-- Name: data_consistency_alerts data_consistency_alerts_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.data_consistency_alerts
    ADD CONSTRAINT data_consistency_alerts_pkey PRIMARY KEY (id);


--
-- Name: installed_objects installed_objects_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.installed_objects
    ADD CONSTRAINT installed_objects_pkey PRIMARY KEY (kind, name);


--
-- Name: installed_rules installed_rules_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.installed_rules
    ADD CONSTRAINT installed_rules_pkey PRIMARY KEY (rule);


--
-- Name: installed_views installed_views_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.installed_views
    ADD CONSTRAINT installed_views_pkey PRIMARY KEY (view_name);


--
-- Name: manual_review_queue manual_review_queue_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.manual_review_queue
    ADD CONSTRAINT manual_review_queue_pkey PRIMARY KEY (id);


--
-- Name: migration_checksums migration_checksums_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.migration_checksums
    ADD CONSTRAINT migration_checksums_pkey PRIMARY KEY (migration_id);


--
-- Name: owned_tables owned_tables_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.owned_tables
    ADD CONSTRAINT owned_tables_pkey PRIMARY KEY (table_name);


--
-- Name: pending_lead_rollups pending_lead_rollups_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.pending_lead_rollups
    ADD CONSTRAINT pending_lead_rollups_pkey PRIMARY KEY (lead_id);


--
-- Name: resolver_writes resolver_writes_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.resolver_writes
    ADD CONSTRAINT resolver_writes_pkey PRIMARY KEY (backend_pid, xact);


--
-- Name: rule_fragments rule_fragments_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.rule_fragments
    ADD CONSTRAINT rule_fragments_pkey PRIMARY KEY (rule, table_name, timing, mode);


--
-- Name: rule_functions rule_functions_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.rule_functions
    ADD CONSTRAINT rule_functions_pkey PRIMARY KEY (rule, mode, function_name);


--
-- Name: rule_settings rule_settings_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.rule_settings
    ADD CONSTRAINT rule_settings_pkey PRIMARY KEY (rule);


--
-- Name: source_mappings source_mappings_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.source_mappings
    ADD CONSTRAINT source_mappings_pkey PRIMARY KEY (source);


--
-- Name: vocabularies vocabularies_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.vocabularies
    ADD CONSTRAINT vocabularies_pkey PRIMARY KEY (vocabulary, code);


--
-- Name: appointment_events appointment_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointment_events
    ADD CONSTRAINT appointment_events_pkey PRIMARY KEY (id);


--
-- Name: appointments appointments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointments
    ADD CONSTRAINT appointments_pkey PRIMARY KEY (id);


--
-- Name: branches branches_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.branches
    ADD CONSTRAINT branches_pkey PRIMARY KEY (id);


--
-- Name: calcom_host_mapping_audits calcom_host_mapping_audits_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calcom_host_mapping_audits
    ADD CONSTRAINT calcom_host_mapping_audits_pkey PRIMARY KEY (id);


--
-- Name: calcom_host_mappings calcom_host_mappings_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calcom_host_mappings
    ADD CONSTRAINT calcom_host_mappings_pkey PRIMARY KEY (id);


--
-- Name: calls calls_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calls
    ADD CONSTRAINT calls_pkey PRIMARY KEY (id);


--
-- Name: companies companies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.companies
    ADD CONSTRAINT companies_pkey PRIMARY KEY (id);


--
-- Name: customers customers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);


--
-- Name: leads leads_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leads
    ADD CONSTRAINT leads_pkey PRIMARY KEY (id);


--
-- Name: services services_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.services
    ADD CONSTRAINT services_pkey PRIMARY KEY (id);


--
-- Name: staff staff_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.staff
    ADD CONSTRAINT staff_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: circuit_breaker_transitions_key_idx; Type: INDEX; Schema: dbguard; Owner: -
--

CREATE INDEX circuit_breaker_transitions_key_idx ON dbguard.circuit_breaker_transitions USING btree (key, occurred_at, id);


--
-- Name: data_consistency_alerts_detected_at_idx; Type: INDEX; Schema: dbguard; Owner: -
--

CREATE INDEX data_consistency_alerts_detected_at_idx ON dbguard.data_consistency_alerts USING btree (detected_at);


--
-- Name: data_consistency_alerts_open_idx; Type: INDEX; Schema: dbguard; Owner: -
--

CREATE INDEX data_consistency_alerts_open_idx ON dbguard.data_consistency_alerts USING btree (entity_type, entity_id) WHERE (resolved_at IS NULL);


--
-- Name: data_consistency_alerts_open_scan_key; Type: INDEX; Schema: dbguard; Owner: -
--

CREATE UNIQUE INDEX data_consistency_alerts_open_scan_key ON dbguard.data_consistency_alerts USING btree (alert_type, entity_type, entity_id) WHERE ((resolved_at IS NULL) AND (detected_by = 'scan'::text));


--
-- Name: manual_review_queue_entity_idx; Type: INDEX; Schema: dbguard; Owner: -
--

CREATE INDEX manual_review_queue_entity_idx ON dbguard.manual_review_queue USING btree (reason, ((context ->> 'entity_type'::text)), ((context ->> 'entity_id'::text))) WHERE ((status = 'pending'::text) AND (call_id IS NULL));


--
-- Name: manual_review_queue_open_idx; Type: INDEX; Schema: dbguard; Owner: -
--

CREATE INDEX manual_review_queue_open_idx ON dbguard.manual_review_queue USING btree (priority, created_at) WHERE (status = ANY (ARRAY['pending'::text, 'in_progress'::text]));


--
-- Name: manual_review_queue_pending_key; Type: INDEX; Schema: dbguard; Owner: -
--

CREATE UNIQUE INDEX manual_review_queue_pending_key ON dbguard.manual_review_queue USING btree (call_id, reason) WHERE (status = 'pending'::text);


--
-- Name: dbguard_appointment_events_appointment_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_appointment_events_appointment_id_idx ON public.appointment_events USING btree (appointment_id, occurred_at);


--
-- Name: dbguard_appointment_events_occurred_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_appointment_events_occurred_at_idx ON public.appointment_events USING btree (occurred_at);


--
-- Name: dbguard_appointments_calcom_v2_booking_id_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dbguard_appointments_calcom_v2_booking_id_key ON public.appointments USING btree (calcom_v2_booking_id);


--
-- Name: dbguard_appointments_calendly_invitee_uri_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dbguard_appointments_calendly_invitee_uri_key ON public.appointments USING btree (calendly_invitee_uri);


--
-- Name: dbguard_appointments_call_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_appointments_call_id_idx ON public.appointments USING btree (call_id);


--
-- Name: dbguard_appointments_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_appointments_created_at_idx ON public.appointments USING btree (created_at);


--
-- Name: dbguard_appointments_customer_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_appointments_customer_id_idx ON public.appointments USING btree (customer_id);


--
-- Name: dbguard_appointments_external_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_appointments_external_id_idx ON public.appointments USING btree (external_id);


--
-- Name: dbguard_appointments_ghl_appointment_id_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dbguard_appointments_ghl_appointment_id_key ON public.appointments USING btree (ghl_appointment_id);


--
-- Name: dbguard_appointments_lead_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_appointments_lead_id_idx ON public.appointments USING btree (lead_id);


--
-- Name: dbguard_appointments_rescheduled_from_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_appointments_rescheduled_from_id_idx ON public.appointments USING btree (rescheduled_from_id);


--
-- Name: dbguard_calls_booking_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_calls_booking_id_idx ON public.calls USING btree (booking_id);


--
-- Name: dbguard_calls_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_calls_created_at_idx ON public.calls USING btree (created_at);


--
-- Name: dbguard_calls_retell_call_id_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dbguard_calls_retell_call_id_key ON public.calls USING btree (retell_call_id);


--
-- Name: dbguard_customers_company_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dbguard_customers_company_email_key ON public.customers USING btree (company_id, email);


--
-- Name: dbguard_host_mapping_audits_mapping_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_host_mapping_audits_mapping_id_idx ON public.calcom_host_mapping_audits USING btree (mapping_id, changed_at);


--
-- Name: dbguard_host_mappings_host_staff_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX dbguard_host_mappings_host_staff_key ON public.calcom_host_mappings USING btree (calcom_host_id, staff_id);


--
-- Name: dbguard_host_mappings_staff_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_host_mappings_staff_id_idx ON public.calcom_host_mappings USING btree (staff_id);


--
-- Name: dbguard_leads_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_leads_created_at_idx ON public.leads USING btree (created_at);


--
-- Name: dbguard_staff_company_email_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_staff_company_email_idx ON public.staff USING btree (company_id, lower(email));


--
-- Name: rule_settings dbguard_compile_rules; Type: TRIGGER; Schema: dbguard; Owner: -
--

CREATE TRIGGER dbguard_compile_rules AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON dbguard.rule_settings FOR EACH STATEMENT EXECUTE FUNCTION dbguard.tg_rule_settings__compile_rules();


--
-- Name: vocabularies dbguard_pinned_codes; Type: TRIGGER; Schema: dbguard; Owner: -
--

CREATE TRIGGER dbguard_pinned_codes BEFORE DELETE OR UPDATE ON dbguard.vocabularies FOR EACH ROW WHEN (old.pinned) EXECUTE FUNCTION dbguard.tg_vocabularies__pinned_codes();


--
-- Name: vocabularies dbguard_pinned_codes_truncate; Type: TRIGGER; Schema: dbguard; Owner: -
--

CREATE TRIGGER dbguard_pinned_codes_truncate BEFORE TRUNCATE ON dbguard.vocabularies FOR EACH STATEMENT EXECUTE FUNCTION dbguard.tg_vocabularies__pinned_codes();


--
-- Name: appointments dbguard_050_appointment_history_id; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_050_appointment_history_id BEFORE UPDATE OF id ON public.appointments FOR EACH ROW WHEN ((new.id IS DISTINCT FROM old.id)) EXECUTE FUNCTION dbguard.tg_appointments__history();


--
-- Name: appointments dbguard_100_before_row; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_100_before_row BEFORE INSERT OR UPDATE ON public.appointments FOR EACH ROW EXECUTE FUNCTION dbguard.tg_appointments__before_row();


--
-- Name: TRIGGER dbguard_100_before_row ON appointments; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TRIGGER dbguard_100_before_row ON public.appointments IS 'dbguard compiled 5acac9c85f445fc114e591a28571c965';


--
-- Name: calls dbguard_100_before_row; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_100_before_row BEFORE INSERT OR UPDATE OF appointment_made, customer_id, customer_link_confidence, customer_link_method, customer_link_status, customer_linked_at, direction, session_outcome ON public.calls FOR EACH ROW EXECUTE FUNCTION dbguard.tg_calls__before_row();


--
-- Name: TRIGGER dbguard_100_before_row ON calls; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TRIGGER dbguard_100_before_row ON public.calls IS 'dbguard compiled 365a1ad617ecc734f4fa59b667394825';


--
-- Name: appointment_events dbguard_150_before_row; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_150_before_row BEFORE INSERT OR UPDATE OF details ON public.appointment_events FOR EACH ROW EXECUTE FUNCTION dbguard.tg_appointment_events__before_row();


--
-- Name: TRIGGER dbguard_150_before_row ON appointment_events; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TRIGGER dbguard_150_before_row ON public.appointment_events IS 'dbguard compiled 98a180346a70741b2cea65a8830afebc';


--
-- Name: appointments dbguard_400_after_row; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_400_after_row AFTER UPDATE OF customer_id, lead_id ON public.appointments FOR EACH ROW EXECUTE FUNCTION dbguard.tg_appointments__after_row();


--
-- Name: TRIGGER dbguard_400_after_row ON appointments; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TRIGGER dbguard_400_after_row ON public.appointments IS 'dbguard compiled 48f707dcd514d5558585b13b8330f115';


--
-- Name: calcom_host_mappings dbguard_500_before_row; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_500_before_row BEFORE INSERT OR UPDATE OF company_id, is_active, staff_id ON public.calcom_host_mappings FOR EACH ROW EXECUTE FUNCTION dbguard.tg_calcom_host_mappings__before_row();


--
-- Name: TRIGGER dbguard_500_before_row ON calcom_host_mappings; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TRIGGER dbguard_500_before_row ON public.calcom_host_mappings IS 'dbguard compiled 652e581aac1e840ee2e5670484d3cd45';


--
-- Name: appointments dbguard_600_appointment_link_sync; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_600_appointment_link_sync AFTER INSERT ON public.appointments FOR EACH ROW WHEN ((new.call_id IS NOT NULL)) EXECUTE FUNCTION dbguard.tg_appointments__link_sync();


--
-- Name: calls dbguard_600_appointment_link_sync; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_600_appointment_link_sync BEFORE INSERT ON public.calls FOR EACH ROW WHEN (((new.appointment_link_status = 'unlinked'::text) IS NOT TRUE)) EXECUTE FUNCTION dbguard.tg_appointments__link_sync();


--
-- Name: appointments dbguard_600_appointment_link_sync_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_600_appointment_link_sync_delete AFTER DELETE ON public.appointments FOR EACH ROW WHEN ((old.call_id IS NOT NULL)) EXECUTE FUNCTION dbguard.tg_appointments__link_sync();


--
-- Name: appointments dbguard_600_appointment_link_sync_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_600_appointment_link_sync_update AFTER UPDATE OF call_id ON public.appointments FOR EACH ROW EXECUTE FUNCTION dbguard.tg_appointments__link_sync();


--
-- Name: calls dbguard_600_appointment_link_sync_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_600_appointment_link_sync_update BEFORE UPDATE OF appointment_link_status ON public.calls FOR EACH ROW WHEN (((new.appointment_link_status <> 'linked'::text) AND (new.appointment_link_status <> 'unlinked'::text))) EXECUTE FUNCTION dbguard.tg_appointments__link_sync();


--
-- Name: appointments dbguard_700_lead_rollup; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_700_lead_rollup AFTER INSERT ON public.appointments REFERENCING NEW TABLE AS dbguard_new_rows FOR EACH STATEMENT EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup();


--
-- Name: appointments dbguard_700_lead_rollup_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_700_lead_rollup_delete AFTER DELETE ON public.appointments REFERENCING OLD TABLE AS dbguard_old_rows FOR EACH STATEMENT EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup();


--
-- Name: appointments dbguard_700_lead_rollup_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_700_lead_rollup_update AFTER UPDATE ON public.appointments REFERENCING OLD TABLE AS dbguard_old_rows NEW TABLE AS dbguard_new_rows FOR EACH STATEMENT EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup();


--
-- Name: appointments dbguard_701_lead_rollup_at_commit; Type: TRIGGER; Schema: public; Owner: -
--

CREATE CONSTRAINT TRIGGER dbguard_701_lead_rollup_at_commit AFTER INSERT OR DELETE OR UPDATE ON public.appointments DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (((current_setting('dbguard.lead_rollup_queued'::text, true) IS DISTINCT FROM 'on'::text) AND (set_config('dbguard.lead_rollup_queued'::text, 'on'::text, true) IS NOT NULL))) EXECUTE FUNCTION dbguard.tg_appointments__lead_rollup_at_commit();


--
-- Name: appointments dbguard_800_appointment_history_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_800_appointment_history_delete AFTER DELETE ON public.appointments FOR EACH ROW EXECUTE FUNCTION dbguard.tg_appointments__history();


--
-- Name: appointments dbguard_800_appointment_history_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_800_appointment_history_insert AFTER INSERT ON public.appointments REFERENCING NEW TABLE AS dbguard_new_rows FOR EACH STATEMENT EXECUTE FUNCTION dbguard.tg_appointments__history();


--
-- Name: appointments dbguard_800_appointment_history_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_800_appointment_history_update AFTER UPDATE ON public.appointments FOR EACH ROW WHEN (((new.status IS DISTINCT FROM old.status) OR (new.starts_at IS DISTINCT FROM old.starts_at) OR (new.lead_id IS DISTINCT FROM old.lead_id))) EXECUTE FUNCTION dbguard.tg_appointments__history();


--
-- Name: calcom_host_mappings dbguard_800_host_mapping_audit; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_800_host_mapping_audit AFTER INSERT OR DELETE OR UPDATE ON public.calcom_host_mappings FOR EACH ROW EXECUTE FUNCTION dbguard.tg_calcom_host_mappings__audit();


--
-- Name: calcom_host_mappings dbguard_800_host_mapping_audit_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_800_host_mapping_audit_truncate BEFORE TRUNCATE ON public.calcom_host_mappings FOR EACH STATEMENT EXECUTE FUNCTION dbguard.tg_calcom_host_mappings__audit();


--
-- Name: appointments dbguard_900_booking_confirmed_requires_appointment; Type: TRIGGER; Schema: public; Owner: -
--

CREATE CONSTRAINT TRIGGER dbguard_900_booking_confirmed_requires_appointment AFTER DELETE OR UPDATE OF call_id ON public.appointments DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ((old.call_id IS NOT NULL)) EXECUTE FUNCTION dbguard.tg_calls__booking_requires_appointment();


--
-- Name: calls dbguard_900_booking_confirmed_requires_appointment; Type: TRIGGER; Schema: public; Owner: -
--

CREATE CONSTRAINT TRIGGER dbguard_900_booking_confirmed_requires_appointment AFTER UPDATE ON public.calls DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (((new.booking_confirmed OR new.appointment_made) AND (NOT (old.booking_confirmed OR old.appointment_made)))) EXECUTE FUNCTION dbguard.tg_calls__booking_requires_appointment();


--
-- Name: calls dbguard_900_booking_confirmed_requires_appointment_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE CONSTRAINT TRIGGER dbguard_900_booking_confirmed_requires_appointment_insert AFTER INSERT ON public.calls DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN ((new.booking_confirmed OR new.appointment_made)) EXECUTE FUNCTION dbguard.tg_calls__booking_requires_appointment();


--
-- Name: source_mappings source_mappings_booking_source_fk; Type: FK CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.source_mappings
    ADD CONSTRAINT source_mappings_booking_source_fk FOREIGN KEY (booking_source_vocabulary, booking_source) REFERENCES dbguard.vocabularies(vocabulary, code);


--
-- Name: source_mappings source_mappings_created_by_fk; Type: FK CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.source_mappings
    ADD CONSTRAINT source_mappings_created_by_fk FOREIGN KEY (created_by_vocabulary, created_by) REFERENCES dbguard.vocabularies(vocabulary, code);


--
-- Name: appointments dbguard_appointments_call_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointments
    ADD CONSTRAINT dbguard_appointments_call_fk FOREIGN KEY (call_id) REFERENCES public.calls(id) ON DELETE SET NULL NOT VALID;


--
-- Name: appointments dbguard_appointments_customer_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointments
    ADD CONSTRAINT dbguard_appointments_customer_fk FOREIGN KEY (customer_id) REFERENCES public.customers(id) ON DELETE SET NULL NOT VALID;


--
-- Name: appointments dbguard_appointments_lead_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointments
    ADD CONSTRAINT dbguard_appointments_lead_fk FOREIGN KEY (lead_id) REFERENCES public.leads(id) ON DELETE SET NULL NOT VALID;


--
-- Name: appointments dbguard_appointments_rescheduled_from_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointments
    ADD CONSTRAINT dbguard_appointments_rescheduled_from_fk FOREIGN KEY (rescheduled_from_id) REFERENCES public.appointments(id) ON DELETE SET NULL NOT VALID;


--
-- Name: appointments dbguard_appointments_service_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointments
    ADD CONSTRAINT dbguard_appointments_service_fk FOREIGN KEY (service_id) REFERENCES public.services(id) ON DELETE SET NULL NOT VALID;


--
-- Name: appointments dbguard_appointments_staff_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.appointments
    ADD CONSTRAINT dbguard_appointments_staff_fk FOREIGN KEY (staff_id) REFERENCES public.staff(id) ON DELETE SET NULL NOT VALID;


--
-- Name: calls dbguard_calls_customer_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calls
    ADD CONSTRAINT dbguard_calls_customer_fk FOREIGN KEY (customer_id) REFERENCES public.customers(id) ON DELETE SET NULL NOT VALID;


--
-- Name: calcom_host_mappings dbguard_host_mappings_staff_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.calcom_host_mappings
    ADD CONSTRAINT dbguard_host_mappings_staff_fk FOREIGN KEY (staff_id) REFERENCES public.staff(id) ON DELETE CASCADE NOT VALID;


--
-- Name: leads dbguard_leads_customer_fk; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.leads
    ADD CONSTRAINT dbguard_leads_customer_fk FOREIGN KEY (customer_id) REFERENCES public.customers(id) ON DELETE SET NULL NOT VALID;


--
-- PostgreSQL database dump complete
--


