-- rule: creation_metadata
-- version: 6
-- function: dbguard.tg_appointments__creation_metadata()
-- guarantees: a new appointment has created_by (explicit, else dbguard.actor, else derived from source via dbguard.source_lifecycle(), else 'unknown'), booking_source (explicit, else dbguard.source, else derived from source via dbguard.source_lifecycle(), else 'unknown') and source, each within its vocabulary.

-- Fills who created an appointment and through which channel, from the row
-- itself, else the acting settings, else the documented fallbacks (DESIGN.md §1.3).
CREATE OR REPLACE FUNCTION dbguard.tg_appointments__creation_metadata()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode text;
    v_derived record;
    v_source_booking text;
    v_source_actor text;
BEGIN
    IF TG_RELID <> 'public.appointments'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_appointments__creation_metadata() is a trigger of public.appointments only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF dbguard.rule_mode('creation_metadata') = 'off' THEN
        RETURN NEW;
    END IF;

    -- The written value, else the setting, else what the row's source says
    -- (dbguard.source_lifecycle), else 'unknown'. A setting that is a legacy
    -- source such as 'cal.com' is mapped too.
    IF NEW.source IS NOT NULL
       AND ((NEW.booking_source IS NULL AND NULLIF(pg_catalog.current_setting('dbguard.source', true), '') IS NULL)
            OR (NEW.created_by IS NULL AND NULLIF(pg_catalog.current_setting('dbguard.actor', true), '') IS NULL)) THEN
        v_derived := dbguard.source_lifecycle(NEW.source);
        v_source_booking := v_derived.booking_source;
        v_source_actor := v_derived.created_by;
    END IF;
    NEW.booking_source := coalesce(NEW.booking_source,
                                   dbguard.mapped_booking_source(NULLIF(pg_catalog.current_setting('dbguard.source', true), '')),
                                   NULLIF(pg_catalog.current_setting('dbguard.source', true), ''),
                                   v_source_booking, 'unknown');
    NEW.created_by := coalesce(NEW.created_by, NULLIF(pg_catalog.current_setting('dbguard.actor', true), ''),
                               v_source_actor, 'unknown');

    IF NOT (dbguard.in_vocabulary('booking_source', NEW.booking_source) AND dbguard.in_vocabulary('actor', NEW.created_by)) THEN
        v_mode := dbguard.rule_mode('creation_metadata');
        IF NOT dbguard.in_vocabulary('booking_source', NEW.booking_source) THEN
            NEW.booking_source := dbguard.vocabulary_value('creation_metadata', v_mode, 'booking_source', NEW.booking_source, 'unknown',
                                                           'appointment', 'public.appointments', 'booking_source', NEW.id::text);
        END IF;
        IF NOT dbguard.in_vocabulary('actor', NEW.created_by) THEN
            NEW.created_by := dbguard.vocabulary_value('creation_metadata', v_mode, 'actor', NEW.created_by, 'unknown',
                                                       'appointment', 'public.appointments', 'created_by', NEW.id::text);
        END IF;
    END IF;
    -- source is the legacy free-text channel: kept as written, else the booking source.
    NEW.source := coalesce(NEW.source, NEW.booking_source);
    RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_appointments__creation_metadata() FROM PUBLIC;

CREATE OR REPLACE TRIGGER dbguard_100_creation_metadata
    BEFORE INSERT ON public.appointments
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_appointments__creation_metadata();
