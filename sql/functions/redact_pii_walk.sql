-- The walk of dbguard.redact_pii, one level of objects and arrays per call, p_depth
-- the level (0 at the top).
CREATE OR REPLACE FUNCTION dbguard.redact_pii_walk(p_value pg_catalog.jsonb, p_key pg_catalog.text,
                                                   p_depth pg_catalog.int4)
RETURNS pg_catalog.jsonb
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
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
$$;
REVOKE ALL ON FUNCTION dbguard.redact_pii_walk(jsonb, text, integer) FROM PUBLIC;
