-- rule: call_direction_default
-- version: 7
-- tables: calls
-- timing: before insert or update of direction on calls
-- guarantees: a call inserted without a direction gets direction 'inbound'; calls.direction only holds call_direction values.
-- modes: off: nothing; alert: a missing or unknown direction is kept and alerted; correct: a missing direction becomes 'inbound', a case/blank variant its code, anything else is refused (23Q02); enforce: a missing direction becomes 'inbound', an unknown one is refused (23Q02).

-- Only a new call gets the default: clearing the direction later is a
-- deliberate write, reported by the call_missing_direction scan. An update
-- that leaves the direction as it was is not checked, so legacy rows do not
-- block unrelated updates. The fast path ("IS NOT TRUE", not NOT: a NULL
-- direction must enter) skips the two known codes.

-- fragment: calls before row 100
-- insert when: (NEW.direction IN ('inbound', 'outbound')) IS NOT TRUE
-- update of: direction
-- update when: (NEW.direction IN ('inbound', 'outbound')) IS NOT TRUE
BEGIN
    IF NEW.direction IS NULL THEN
        IF TG_OP = 'INSERT' THEN
{%- if mode == 'alert' %}
            PERFORM dbguard.raise_alert('call_missing_direction', 'warning', 'call', NEW.id::pg_catalog.text,
                pg_catalog.format('call %s was inserted without a direction (correct mode would store inbound)', NEW.id),
                '{}'::pg_catalog.jsonb, 'trigger', false, 'call_direction_default');
{%- else %}
            NEW.direction := 'inbound';
{%- endif %}
        END IF;
        RETURN NEW;
    END IF;
    -- A direction nobody recognises is "not known", like NULL: inbound.
    IF NOT EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'call_direction' AND v.code = NEW.direction) THEN
        NEW.direction := dbguard.vocabulary_value('call_direction_default', '{{ mode }}', 'call_direction', NEW.direction,
                                                  'inbound', 'call', 'public.calls', 'direction', NEW.id::pg_catalog.text);
    END IF;
END
