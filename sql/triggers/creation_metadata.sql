-- rule: creation_metadata
-- version: 8
-- tables: appointments
-- timing: before insert on appointments
-- guarantees: a new appointment has created_by (explicit, else dbguard.actor, else derived from source via dbguard.source_lifecycle(), else 'unknown'), booking_source (explicit, else dbguard.source, else derived from source via dbguard.source_lifecycle(), else 'unknown') and source, each within its vocabulary.
-- modes: off: nothing is filled or checked; alert, correct and enforce fill the columns, and an unknown code goes through dbguard.vocabulary_value in the rule's mode (alert: kept and alerted; correct: its case/blank variant, else refused (23Q02); enforce: refused (23Q02)).

-- Fills who created an appointment and through which channel, from the row
-- itself, else the acting settings, else the documented fallbacks (DESIGN.md §1.3).

-- fragment: appointments before row 100
-- insert:
DECLARE
    v_derived record;
    v_source_booking pg_catalog.text;
    v_source_actor pg_catalog.text;
BEGIN
    -- The written value, else the setting, else what the row's source says
    -- (dbguard.source_lifecycle), else 'unknown'. A setting that is a legacy
    -- source such as 'cal.com' is mapped too.
    IF NEW.source IS NOT NULL
       AND ((NEW.booking_source IS NULL AND NULLIF(pg_catalog.current_setting('dbguard.source', true), '') IS NULL)
            OR (NEW.created_by IS NULL AND NULLIF(pg_catalog.current_setting('dbguard.actor', true), '') IS NULL)) THEN
        -- The source as written is source_lifecycle's own first look-up, here
        -- without a call; a case or blank variant goes through the function.
        SELECT sm.booking_source, sm.created_by INTO v_source_booking, v_source_actor
          FROM dbguard.source_mappings sm
         WHERE sm.source = NEW.source;
        IF NOT FOUND THEN
            v_derived := dbguard.source_lifecycle(NEW.source);
            v_source_booking := v_derived.booking_source;
            v_source_actor := v_derived.created_by;
        END IF;
    END IF;
    NEW.booking_source := coalesce(NEW.booking_source,
                                   dbguard.mapped_booking_source(NULLIF(pg_catalog.current_setting('dbguard.source', true), '')),
                                   NULLIF(pg_catalog.current_setting('dbguard.source', true), ''),
                                   v_source_booking, 'unknown');
    NEW.created_by := coalesce(NEW.created_by, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''),
                               v_source_actor, 'unknown');

    -- Codes taken from dbguard.source_mappings are in their vocabularies (its
    -- foreign keys); any other pair is looked up, both codes in one query
    -- (neither is NULL here).
    IF (NEW.booking_source IS DISTINCT FROM v_source_booking OR NEW.created_by IS DISTINCT FROM v_source_actor)
       AND (SELECT pg_catalog.count(*) FROM dbguard.vocabularies v
         WHERE (v.vocabulary = 'booking_source' AND v.code = NEW.booking_source)
            OR (v.vocabulary = 'actor' AND v.code = NEW.created_by)) < 2 THEN
        IF NOT dbguard.in_vocabulary('booking_source', NEW.booking_source) THEN
            NEW.booking_source := dbguard.vocabulary_value('creation_metadata', '{{ mode }}', 'booking_source', NEW.booking_source, 'unknown',
                                                           'appointment', 'public.appointments', 'booking_source', NEW.id::pg_catalog.text);
        END IF;
        IF NOT dbguard.in_vocabulary('actor', NEW.created_by) THEN
            NEW.created_by := dbguard.vocabulary_value('creation_metadata', '{{ mode }}', 'actor', NEW.created_by, 'unknown',
                                                       'appointment', 'public.appointments', 'created_by', NEW.id::pg_catalog.text);
        END IF;
    END IF;
    -- source is the legacy free-text channel: kept as written, else the booking source.
    NEW.source := coalesce(NEW.source, NEW.booking_source);
    RETURN NEW;
END
