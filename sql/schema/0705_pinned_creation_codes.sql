-- Issue 7: creation_metadata v4 accepts the commonest booking sources and actors
-- from a constant list before it queries dbguard.vocabularies (one statement less
-- per new appointment), so those codes are pinned: a DBA cannot delete or rename
-- them, and a code removed before this migration comes back.
INSERT INTO dbguard.vocabularies AS v (vocabulary, code, description, pinned)
SELECT p.vocabulary, p.code, 'restored by dbguard migration 0705', true
  FROM (VALUES ('booking_source', 'retell_webhook'), ('booking_source', 'retell_phone'),
               ('booking_source', 'retell_function_call'), ('booking_source', 'retell_api'),
               ('booking_source', 'cal.com_webhook'), ('booking_source', 'unknown'),
               ('actor', 'retell_ai'), ('actor', 'retell_api'), ('actor', 'cal.com_webhook'),
               ('actor', 'system'), ('actor', 'unknown'))
       AS p (vocabulary, code)
ON CONFLICT (vocabulary, code) DO UPDATE SET pinned = true;

COMMENT ON COLUMN dbguard.vocabularies.pinned IS
    'Named by a trigger WHEN clause or a rule function''s constant list: cannot be deleted or renamed (SQLSTATE DG009).';
