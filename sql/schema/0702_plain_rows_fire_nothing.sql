-- Issue 7: rows that cannot break a rule fire no PL/pgSQL. Trigger WHEN clauses
-- (rule versions installed by migration 0702) name shipped vocabulary codes, so
-- those codes are pinned; and a new call gets its link statuses from column
-- defaults, the values the rules would have written. SET DEFAULT changes the
-- catalog only: no table is rewritten and existing rows keep their values.
ALTER TABLE dbguard.vocabularies ADD COLUMN IF NOT EXISTS pinned boolean NOT NULL DEFAULT false;

COMMENT ON COLUMN dbguard.vocabularies.pinned IS
    'Named by a trigger WHEN clause: cannot be deleted or renamed (SQLSTATE DG009).';

-- A shipped code a DBA removed before this migration comes back: without it,
-- rows holding the value would skip their rule's vocabulary check.
INSERT INTO dbguard.vocabularies AS v (vocabulary, code, description, pinned)
SELECT p.vocabulary, p.code, 'restored by dbguard migration 0702', true
  FROM (VALUES ('call_direction', 'inbound'), ('call_direction', 'outbound'),
               ('link_status', 'unlinked'), ('link_status', 'linked'),
               ('session_outcome', 'appointment_booked'))
       AS p (vocabulary, code)
ON CONFLICT (vocabulary, code) DO UPDATE SET pinned = true;

CREATE OR REPLACE TRIGGER dbguard_pinned_codes
    BEFORE UPDATE OR DELETE ON dbguard.vocabularies
    FOR EACH ROW
    WHEN (OLD.pinned)
    EXECUTE FUNCTION dbguard.tg_vocabularies__pinned_codes();

CREATE OR REPLACE TRIGGER dbguard_pinned_codes_truncate
    BEFORE TRUNCATE ON dbguard.vocabularies
    FOR EACH STATEMENT
    EXECUTE FUNCTION dbguard.tg_vocabularies__pinned_codes();

ALTER TABLE public.calls
    ALTER COLUMN customer_link_status SET DEFAULT 'unlinked',
    ALTER COLUMN appointment_link_status SET DEFAULT 'unlinked';
