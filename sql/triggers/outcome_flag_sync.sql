-- rule: outcome_flag_sync
-- version: 7
-- tables: calls
-- timing: before insert or update of session_outcome, appointment_made on calls
-- guarantees: session_outcome = 'appointment_booked' exactly when appointment_made is true; session_outcome inside its vocabulary.
-- modes: off: nothing; alert: a mismatch or unknown outcome is alerted, the row is kept; correct: the side the statement did not write is repaired, with an alert and a WARNING (23Q06); enforce: a mismatch is refused (23Q06).

-- Keeps session_outcome and appointment_made of a call in agreement. A phantom
-- booking (session_outcome 'appointment_booked', appointment_made false) is a
-- session_outcome_mismatch, the reverse an appointment_made_mismatch. Filling a
-- missing outcome is derived-field maintenance: silent in every mode. An
-- appointment that exists for the call is a fact: an outcome written against
-- it does not take appointment_made down; the outcome is repaired.
-- The fast path: the call is plainly consistent (no outcome and no appointment,
-- or booked both ways); other outcomes reach the vocabulary check.

-- fragment: calls before row 300
-- insert when: NEW.session_outcome IS DISTINCT FROM CASE WHEN NEW.appointment_made THEN 'appointment_booked' END
-- update of: session_outcome, appointment_made
-- update when: NEW.session_outcome IS DISTINCT FROM CASE WHEN NEW.appointment_made THEN 'appointment_booked' END
DECLARE
    v_made_changed boolean;
    v_outcome_changed boolean;
    v_made_wins boolean;
    v_fixed pg_catalog.text;          -- the column that is (or would be) repaired
    v_outcome pg_catalog.text;
    v_made boolean;
BEGIN
    v_made_changed := TG_OP = 'INSERT' OR NEW.appointment_made IS DISTINCT FROM OLD.appointment_made;
    v_outcome_changed := TG_OP = 'INSERT' OR NEW.session_outcome IS DISTINCT FROM OLD.session_outcome;
    IF v_outcome_changed THEN
        IF NEW.session_outcome IS NOT NULL AND NOT EXISTS (
                SELECT 1 FROM dbguard.vocabularies v
                 WHERE v.vocabulary = 'session_outcome' AND v.code = NEW.session_outcome) THEN
            NEW.session_outcome := dbguard.vocabulary_value('outcome_flag_sync', '{{ mode }}', 'session_outcome',
                NEW.session_outcome, NULL, 'call', 'public.calls', 'session_outcome', NEW.id::pg_catalog.text);
        END IF;
    END IF;

    IF (NEW.session_outcome = 'appointment_booked') IS NOT DISTINCT FROM NEW.appointment_made
       OR (NEW.session_outcome IS NULL AND NOT NEW.appointment_made) THEN
        RETURN NEW;
    END IF;
    -- An outcome outside the vocabulary (kept in alert mode) says nothing about the flag.
    IF NEW.session_outcome IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM dbguard.vocabularies v
             WHERE v.vocabulary = 'session_outcome' AND v.code = NEW.session_outcome) THEN
        RETURN NEW;
    END IF;

    IF NEW.session_outcome IS NULL THEN
        -- appointment_made without an outcome: the outcome is not known. Filling
        -- it in is derived-field maintenance, silent; 'alert' leaves the row.
{%- if mode != 'alert' %}
        NEW.session_outcome := 'appointment_booked';
{%- endif %}
        RETURN NEW;
    ELSIF v_made_changed <> v_outcome_changed THEN
        -- This statement changed one side only: it is the newest statement of intent.
        v_made_wins := v_made_changed;
    ELSE
        -- A new row, or both written: the booking claim wins; the claim is
        -- then checked against the appointments at commit
        -- (booking_confirmed_requires_appointment).
        v_made_wins := NEW.appointment_made;
    END IF;
    IF v_made_wins THEN
        v_fixed := 'session_outcome';
        v_outcome := CASE WHEN NEW.appointment_made THEN 'appointment_booked' ELSE 'no_appointment' END;
        v_made := NEW.appointment_made;
    ELSE
        v_fixed := 'appointment_made';
        v_outcome := NEW.session_outcome;
        v_made := NEW.session_outcome = 'appointment_booked';
    END IF;
    -- Neither side can take a booking back while an appointment exists for the
    -- call (appointment_link_sync keeps it linked and booking_confirmed stays):
    -- the side that denies it is the one repaired.
    IF NOT v_made AND TG_OP = 'UPDATE' AND dbguard.call_has_appointment(NEW.id) THEN
        v_fixed := CASE WHEN NEW.appointment_made THEN 'session_outcome' ELSE 'appointment_made' END;
        v_outcome := 'appointment_booked';
        v_made := true;
    END IF;

    IF dbguard.rule_violation('outcome_flag_sync', '{{ mode }}', '23Q06',
           CASE WHEN NEW.session_outcome = 'appointment_booked' THEN 'session_outcome_mismatch'
                ELSE 'appointment_made_mismatch' END,
           'call', NEW.id::pg_catalog.text,
           pg_catalog.format('dbguard: public.calls row %s has session_outcome = %s but appointment_made = %s',
                             coalesce(NEW.id::pg_catalog.text, '(new row)'), pg_catalog.quote_literal(NEW.session_outcome),
                             NEW.appointment_made::pg_catalog.text),
           'rule outcome_flag_sync: session_outcome is ''appointment_booked'' exactly when appointment_made is true.',
           'Write both together: appointment_made = true with session_outcome = ''appointment_booked'', '
           'or appointment_made = false with another outcome (e.g. ''no_appointment'', ''creation_failed''); '
           'a call that has an appointment keeps appointment_made = true.',
           pg_catalog.jsonb_build_object(
               'written', pg_catalog.jsonb_build_object('session_outcome', NEW.session_outcome, 'appointment_made', NEW.appointment_made),
               'expected', pg_catalog.jsonb_build_object('session_outcome', v_outcome, 'appointment_made', v_made),
               'repaired_column', v_fixed),
           'calls', v_fixed,
           CASE WHEN NEW.session_outcome = 'appointment_booked' THEN 'critical' ELSE 'warning' END) THEN
        NEW.session_outcome := v_outcome;
        NEW.appointment_made := v_made;
    END IF;
    RETURN NEW;
END
