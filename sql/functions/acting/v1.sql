-- Who is acting, as the application tagged its transaction:
-- SET LOCAL dbguard.actor = 'retell_ai' (also source, user_id, reason).
-- NULL when not set, or set to the empty string (what RESET leaves behind).
CREATE OR REPLACE FUNCTION dbguard.acting(p_key text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT NULLIF(pg_catalog.current_setting('dbguard.' || p_key, true), '')
$$;
