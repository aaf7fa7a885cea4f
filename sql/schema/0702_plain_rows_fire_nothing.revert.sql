ALTER TABLE public.calls
    ALTER COLUMN customer_link_status DROP DEFAULT,
    ALTER COLUMN appointment_link_status DROP DEFAULT;
DROP TRIGGER IF EXISTS dbguard_pinned_codes_truncate ON dbguard.vocabularies;
DROP TRIGGER IF EXISTS dbguard_pinned_codes ON dbguard.vocabularies;
ALTER TABLE dbguard.vocabularies DROP COLUMN IF EXISTS pinned;
