-- Who is acting, as the application tagged its transaction:
-- SET LOCAL dbguard.actor = 'retell_ai' (also source, user_id, reason).
-- NULL when not set, or set to the empty string (what RESET leaves behind).
-- PL/pgSQL, a single expression without a query: its plan is kept for the
-- session, not planned again in every transaction as a SQL function body is.
CREATE OR REPLACE FUNCTION dbguard.acting(p_key text)
RETURNS text
LANGUAGE plpgsql
STABLE
SET search_path = ''
AS $$
BEGIN
    RETURN NULLIF(pg_catalog.current_setting('dbguard.' || p_key, true), '');
END
$$;
