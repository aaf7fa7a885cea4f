-- The pinned-codes trigger refuses any update of a pinned row, this one included:
-- it is switched off for this statement only (vocabularies is a small lookup table).
ALTER TABLE dbguard.vocabularies DISABLE TRIGGER dbguard_pinned_codes;

UPDATE dbguard.vocabularies SET pinned = false
 WHERE (vocabulary, code) IN (('booking_source', 'retell_webhook'), ('booking_source', 'retell_phone'),
                              ('booking_source', 'retell_function_call'), ('booking_source', 'retell_api'),
                              ('booking_source', 'cal.com_webhook'), ('booking_source', 'unknown'),
                              ('actor', 'retell_ai'), ('actor', 'retell_api'), ('actor', 'cal.com_webhook'),
                              ('actor', 'system'), ('actor', 'unknown'));

ALTER TABLE dbguard.vocabularies ENABLE TRIGGER dbguard_pinned_codes;

COMMENT ON COLUMN dbguard.vocabularies.pinned IS
    'Named by a trigger WHEN clause: cannot be deleted or renamed (SQLSTATE DG009).';
