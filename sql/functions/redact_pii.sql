-- Returns a JSON value of the same shape with every e-mail address and phone
-- number replaced by a marker (dbguard.redact_pii_text), however deeply it is
-- nested in objects and arrays. Keys, numbers, booleans and nulls are kept,
-- except values under a phone-like key ("phone", "mobile", "customerPhone",
-- "fax", "msisdn", "whatsapp"), where a number or digit string of 7+ digits is
-- a phone number too, and string values under an e-mail-like key that contain
-- '@' (also "john@localhost", which the e-mail pattern would not match).
-- The walk is dbguard.redact_pii_walk, which stops at 64 levels of nesting
-- and replaces what is below by the marker "[nested too deeply]": deeper JSON
-- (~900 levels) would exhaust the stack and make pii_redaction refuse the write
-- in alert and correct mode. SECURITY DEFINER (pinned, executable by the owner and
-- the analyst role only): the dbguard_audit views call it with the reader's
-- privileges, and the reader needs no USAGE on schema dbguard for the walk.
CREATE OR REPLACE FUNCTION dbguard.redact_pii(p_value pg_catalog.jsonb, p_key pg_catalog.text DEFAULT NULL)
RETURNS pg_catalog.jsonb
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    RETURN dbguard.redact_pii_walk(p_value, p_key, 0);
END
$$;
REVOKE ALL ON FUNCTION dbguard.redact_pii(jsonb, text) FROM PUBLIC;
