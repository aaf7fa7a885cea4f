-- Replaces e-mail addresses and phone numbers inside a text by '[email]' and
-- '[phone]', leaving everything else as it was. Patterns (docs/rules/pii_redaction.md):
--   e-mail: local@domain.tld (tld of 2+ letters);
--   phone, only as a whole token (no letter, digit, '_' or '-' right before or after):
--     international  +CC then 6-14 more digits, single separators ( space ( ) . - / ) allowed;
--     00CC           00 + country code, a separator, then 5-13 more digits;
--     national       0 + non-zero digit, then 5-13 more digits with separators (030 1234567);
--     North American (555) 123-4567, 555-123-4567, 555.123.4567.
-- Bare digit runs without '+' or a leading 0 (ids, epoch times, amounts), ISO dates
-- and timestamps, UUIDs and zero-padded ids ('00123') are never touched here;
-- p_phone_key = true (the value sits under a key like "phone") also redacts a
-- value made only of phone characters with 7-15 digits ("5551234567"), dates excepted.
-- PL/pgSQL (one cached expression): a SQL function would be planned again
-- in every transaction.
CREATE OR REPLACE FUNCTION dbguard.redact_pii_text(p_text text, p_phone_key boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE
PARALLEL SAFE
SET search_path = ''
AS $$
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
$$;
