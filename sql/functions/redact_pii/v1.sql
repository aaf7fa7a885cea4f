-- Returns a JSON value of the same shape with every e-mail address and phone
-- number replaced by a marker (dbguard.redact_pii_text), however deeply it is
-- nested in objects and arrays. Keys, numbers, booleans and nulls are kept,
-- except values under a phone-like key ("phone", "mobile", "customerPhone",
-- "fax", "msisdn", "whatsapp"), where a number or digit string of 7+ digits is
-- a phone number too, and string values under an e-mail-like key that contain
-- '@' (also "john@localhost", which the e-mail pattern would not match).
CREATE OR REPLACE FUNCTION dbguard.redact_pii(p_value jsonb, p_key text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = ''
AS $$
DECLARE
    v_phone_key boolean := p_key ~* '(phone|mobile|msisdn|whatsapp|fax)' OR p_key ~* '^tel$';
    v_email_key boolean := p_key ~* 'e[-_]?mail';
BEGIN
    CASE pg_catalog.jsonb_typeof(p_value)
    WHEN 'object' THEN
        RETURN coalesce((SELECT pg_catalog.jsonb_object_agg(e.key, dbguard.redact_pii(e.value, e.key))
                           FROM pg_catalog.jsonb_each(p_value) e), '{}'::jsonb);
    WHEN 'array' THEN
        -- Array elements inherit the key: {"phones": ["0301234567", ...]}.
        RETURN coalesce((SELECT pg_catalog.jsonb_agg(dbguard.redact_pii(e.value, p_key) ORDER BY e.ord)
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
