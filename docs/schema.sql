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
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    SELECT NULLIF(pg_catalog.current_setting('dbguard.' || p_key, true), '')
$$;


--
-- Name: acting_user_id(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.acting_user_id() RETURNS bigint
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $_$
DECLARE
    v_raw text := dbguard.acting('user_id');
BEGIN
    IF v_raw IS NULL THEN
        RETURN NULL;
    END IF;
    IF v_raw !~ '^\s*[0-9]{1,18}\s*$' THEN
        RAISE EXCEPTION 'dbguard: setting dbguard.user_id must be a user id (an integer), got %', pg_catalog.quote_literal(v_raw)
            USING ERRCODE = 'DG008',
                  HINT = 'SET LOCAL dbguard.user_id = ''42'' (the users.id of whoever acts), or leave it unset.';
    END IF;
    RETURN v_raw::bigint;
END
$_$;


--
-- Name: add_constraint_if_missing(regclass, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.add_constraint_if_missing(p_table regclass, p_name text, p_definition text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO ''
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
-- Name: assert_unique(regclass, text[]); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.assert_unique(p_table regclass, p_columns text[]) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
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
-- Name: drop_invalid_index(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.drop_invalid_index(p_index text) RETURNS boolean
    LANGUAGE plpgsql
    SET search_path TO ''
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
    SET search_path TO ''
    AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_reason IS NULL OR pg_catalog.btrim(p_reason) = '' THEN
        RAISE EXCEPTION 'dbguard: enqueue_review needs a reason'
            USING ERRCODE = 'DG001', HINT = 'e.g. appointment_validation_failed, calcom_booking_failed, service_not_found';
    END IF;
    INSERT INTO dbguard.manual_review_queue AS q (call_id, reason, priority, context)
    VALUES (p_call_id, p_reason, dbguard.review_priority(p_reason), coalesce(p_context, '{}'::jsonb))
    ON CONFLICT (call_id, reason) WHERE status = 'pending'
    DO UPDATE SET context = q.context || EXCLUDED.context, updated_at = pg_catalog.now()
    RETURNING q.id INTO v_id;
    RETURN v_id;
END
$$;


--
-- Name: function_fingerprint(regprocedure); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.function_fingerprint(p_function regprocedure) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    SELECT md5(pg_catalog.pg_get_functiondef(p_function))
$$;


--
-- Name: in_vocabulary(text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.in_vocabulary(p_vocabulary text, p_value text) RETURNS boolean
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    SELECT p_value IS NULL OR EXISTS (
        SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary AND v.code = p_value)
$$;


--
-- Name: raise_alert(text, text, text, text, text, jsonb, text, boolean, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.raise_alert(p_alert_type text, p_severity text, p_entity_type text, p_entity_id text, p_description text, p_details jsonb DEFAULT '{}'::jsonb, p_detected_by text DEFAULT 'trigger'::text, p_auto_corrected boolean DEFAULT false, p_rule text DEFAULT NULL::text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO ''
    AS $$
DECLARE
    v_id bigint;
BEGIN
    IF p_detected_by = 'scan' AND EXISTS (
        SELECT 1 FROM dbguard.data_consistency_alerts a
         WHERE a.alert_type = p_alert_type AND a.entity_type = p_entity_type
           AND a.entity_id IS NOT DISTINCT FROM p_entity_id AND a.resolved_at IS NULL) THEN
        RETURN NULL;
    END IF;

    INSERT INTO dbguard.data_consistency_alerts
        (alert_type, severity, entity_type, entity_id, description, details, detected_by, auto_corrected, rule)
    VALUES (p_alert_type, p_severity, p_entity_type, p_entity_id, p_description,
            coalesce(p_details, '{}'::jsonb), p_detected_by, coalesce(p_auto_corrected, false), p_rule)
    ON CONFLICT (alert_type, entity_type, entity_id) WHERE resolved_at IS NULL AND detected_by = 'scan'
    DO NOTHING
    RETURNING id INTO v_id;

    IF v_id IS NOT NULL THEN
        PERFORM pg_catalog.pg_notify('dbguard_alerts', pg_catalog.jsonb_build_object(
            'id', v_id, 'alert_type', p_alert_type, 'severity', p_severity,
            'entity_type', p_entity_type, 'entity_id', p_entity_id,
            'description', p_description, 'auto_corrected', coalesce(p_auto_corrected, false),
            'detected_by', p_detected_by, 'rule', p_rule)::text);
    END IF;
    RETURN v_id;
END
$$;


--
-- Name: raise_vocabulary_error(text, text, text, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.raise_vocabulary_error(p_vocabulary text, p_value text, p_table text, p_column text, p_row_id text) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO ''
    AS $$
DECLARE
    v_allowed text := (SELECT pg_catalog.string_agg(v.code, ', ' ORDER BY v.code)
                         FROM dbguard.vocabularies v WHERE v.vocabulary = p_vocabulary);
BEGIN
    RAISE EXCEPTION 'dbguard: %.% = % is not an allowed %', p_table, p_column, pg_catalog.quote_literal(p_value), p_vocabulary
        USING ERRCODE = 'DG002',
              DETAIL = pg_catalog.format('row id %s; allowed values: %s', coalesce(p_row_id, '(new row)'), v_allowed),
              HINT = pg_catalog.format('Use one of the allowed values, or add the value to the vocabulary: '
                                       'INSERT INTO dbguard.vocabularies (vocabulary, code) VALUES (%L, %L);',
                                       p_vocabulary, p_value),
              TABLE = p_table, COLUMN = p_column;
END
$$;


--
-- Name: register_rule(text, integer, regprocedure, text, text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.register_rule(p_rule text, p_version integer, p_function regprocedure, p_source_sha256 text, p_description text) RETURNS void
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
BEGIN
    INSERT INTO dbguard.installed_rules AS r
        (rule, version, function_name, definition_md5, source_sha256, description)
    VALUES (p_rule, p_version, p_function::text, dbguard.function_fingerprint(p_function),
            p_source_sha256, p_description)
    ON CONFLICT (rule) DO UPDATE
       SET version = EXCLUDED.version,
           function_name = EXCLUDED.function_name,
           definition_md5 = EXCLUDED.definition_md5,
           source_sha256 = EXCLUDED.source_sha256,
           description = EXCLUDED.description,
           installed_at = now();

    INSERT INTO dbguard.rule_settings (rule) VALUES (p_rule)
    ON CONFLICT (rule) DO NOTHING;
END
$$;


--
-- Name: review_priority(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.review_priority(p_reason text) RETURNS smallint
    LANGUAGE sql IMMUTABLE
    SET search_path TO ''
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
-- Name: rule_mode(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.rule_mode(p_rule text) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO ''
    AS $$
    SELECT coalesce(
        (SELECT s.mode FROM dbguard.rule_settings s WHERE s.rule = p_rule),
        'correct')
$$;


--
-- Name: tg_calls__direction_default(); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.tg_calls__direction_default() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO ''
    AS $$
BEGIN
    IF dbguard.rule_mode('call_direction_default') <> 'off' THEN
        NEW.direction := 'inbound';
    END IF;
    RETURN NEW;
END
$$;


--
-- Name: unregister_rule(text); Type: FUNCTION; Schema: dbguard; Owner: -
--

CREATE FUNCTION dbguard.unregister_rule(p_rule text) RETURNS void
    LANGUAGE sql
    SET search_path TO ''
    AS $$
    DELETE FROM dbguard.installed_rules WHERE rule = p_rule;
    DELETE FROM dbguard.rule_settings WHERE rule = p_rule;
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

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
-- Name: installed_rules; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.installed_rules (
    rule text NOT NULL,
    version integer NOT NULL,
    function_name text NOT NULL,
    definition_md5 text NOT NULL,
    source_sha256 text NOT NULL,
    description text,
    installed_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT installed_rules_version_check CHECK ((version > 0))
);


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
    CONSTRAINT manual_review_queue_priority_check CHECK (((priority >= 1) AND (priority <= 5))),
    CONSTRAINT manual_review_queue_status_check CHECK ((status = ANY (ARRAY['pending'::text, 'in_progress'::text, 'resolved'::text, 'dismissed'::text])))
);


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
-- Name: owned_tables; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.owned_tables (
    table_name text NOT NULL,
    migration text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL
);


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
-- Name: rule_status; Type: VIEW; Schema: dbguard; Owner: -
--

CREATE VIEW dbguard.rule_status AS
 SELECT r.rule,
    r.version,
    dbguard.rule_mode(r.rule) AS mode,
    r.function_name,
    r.description,
    r.installed_at,
    t.triggers,
        CASE
            WHEN (f.oid IS NULL) THEN 'missing'::text
            WHEN (dbguard.function_fingerprint((f.oid)::regprocedure) <> r.definition_md5) THEN 'modified'::text
            WHEN (t.triggers IS NULL) THEN 'trigger_missing'::text
            WHEN t.disabled THEN 'trigger_disabled'::text
            ELSE 'none'::text
        END AS drift
   FROM ((dbguard.installed_rules r
     LEFT JOIN pg_proc f ON ((f.oid = (to_regprocedure(r.function_name))::oid)))
     LEFT JOIN LATERAL ( SELECT array_agg(((((tg.tgrelid)::regclass)::text || '.'::text) || (tg.tgname)::text) ORDER BY tg.tgname) AS triggers,
            bool_or((tg.tgenabled = 'D'::"char")) AS disabled
           FROM pg_trigger tg
          WHERE ((tg.tgfoid = f.oid) AND (NOT tg.tgisinternal))) t ON (true));


--
-- Name: source_mappings; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.source_mappings (
    source text NOT NULL,
    booking_source text NOT NULL,
    created_by text NOT NULL
);


--
-- Name: vocabularies; Type: TABLE; Schema: dbguard; Owner: -
--

CREATE TABLE dbguard.vocabularies (
    vocabulary text NOT NULL,
    code text NOT NULL,
    description text,
    is_active boolean
);


--
-- Name: TABLE vocabularies; Type: COMMENT; Schema: dbguard; Owner: -
--

COMMENT ON TABLE dbguard.vocabularies IS 'Allowed values per vocabulary (booking_source, actor, appointment_status, provider, call_direction, link_status, session_outcome, ...). Extend with INSERT.';


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
    status_changed_at timestamp with time zone,
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
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


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
    updated_at timestamp with time zone DEFAULT now() NOT NULL
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
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


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
    updated_at timestamp with time zone DEFAULT now() NOT NULL
);


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
-- Name: data_consistency_alerts data_consistency_alerts_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.data_consistency_alerts
    ADD CONSTRAINT data_consistency_alerts_pkey PRIMARY KEY (id);


--
-- Name: installed_rules installed_rules_pkey; Type: CONSTRAINT; Schema: dbguard; Owner: -
--

ALTER TABLE ONLY dbguard.installed_rules
    ADD CONSTRAINT installed_rules_pkey PRIMARY KEY (rule);


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
-- Name: appointments dbguard_appointments_ends_after_starts; Type: CHECK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.appointments
    ADD CONSTRAINT dbguard_appointments_ends_after_starts CHECK ((ends_at > starts_at)) NOT VALID;


--
-- Name: appointments dbguard_appointments_not_own_predecessor; Type: CHECK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.appointments
    ADD CONSTRAINT dbguard_appointments_not_own_predecessor CHECK ((rescheduled_from_id <> id)) NOT VALID;


--
-- Name: calls dbguard_calls_customer_link_confidence_range; Type: CHECK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.calls
    ADD CONSTRAINT dbguard_calls_customer_link_confidence_range CHECK (((customer_link_confidence >= (0)::numeric) AND (customer_link_confidence <= (100)::numeric))) NOT VALID;


--
-- Name: calcom_host_mappings dbguard_host_mappings_confidence_range; Type: CHECK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE public.calcom_host_mappings
    ADD CONSTRAINT dbguard_host_mappings_confidence_range CHECK (((confidence_score >= 0) AND (confidence_score <= 100))) NOT VALID;


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
-- Name: dbguard_staff_company_email_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX dbguard_staff_company_email_idx ON public.staff USING btree (company_id, lower(email));


--
-- Name: calls dbguard_100_call_direction_default; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER dbguard_100_call_direction_default BEFORE INSERT ON public.calls FOR EACH ROW WHEN ((new.direction IS NULL)) EXECUTE FUNCTION dbguard.tg_calls__direction_default();


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


