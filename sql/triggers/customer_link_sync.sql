-- rule: customer_link_sync
-- version: 6
-- tables: calls
-- timing: before insert or update of the customer link columns on calls
-- guarantees: customer_id set or changed -> customer_link_status 'linked', customer_linked_at now(), method phone_match and confidence 100.00 unless given; cleared -> 'unlinked'; link status and method inside their vocabularies.
-- modes: off: nothing; alert: contradictions and unknown codes are alerted, the row is kept; correct: the link columns are derived from customer_id, a contradiction is repaired with an alert and a WARNING (23Q01); enforce: the link columns are derived, a contradiction is refused (23Q01).

-- Keeps a call's customer-link columns in line with calls.customer_id.
-- Deriving the link columns from customer_id is silent in every mode; only a
-- link status written against customer_id is a contradiction. A new call
-- without a customer, with status 'unlinked' and no method has nothing to do
-- (the fast path; "IS NOT TRUE": NULLs enter).

-- fragment: calls before row 200
-- insert when: (NEW.customer_id IS NULL AND NEW.customer_link_status = 'unlinked' AND NEW.customer_link_method IS NULL) IS NOT TRUE
-- update of: customer_id, customer_link_status, customer_linked_at, customer_link_method, customer_link_confidence
DECLARE
    v_insert boolean := TG_OP = 'INSERT';
    v_customer_changed boolean;
    v_status_given boolean;
    v_target public.calls;
    v_contradiction boolean := false;
BEGIN
    v_customer_changed := v_insert OR NEW.customer_id IS DISTINCT FROM OLD.customer_id;
    -- "Given" = written by this statement: on insert any non-NULL value, on
    -- update a value that differs from the stored one.
    v_status_given := NOT v_insert AND NEW.customer_link_status IS DISTINCT FROM OLD.customer_link_status;

    IF v_insert OR NEW.customer_link_method IS DISTINCT FROM OLD.customer_link_method THEN
        IF NOT (NEW.customer_link_method IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'customer_link_method' AND v.code = NEW.customer_link_method)) THEN
            NEW.customer_link_method := dbguard.vocabulary_value('customer_link_sync', '{{ mode }}', 'customer_link_method',
                NEW.customer_link_method, NULL, 'call', 'public.calls', 'customer_link_method', NEW.id::pg_catalog.text);
        END IF;
    END IF;
    IF v_insert OR v_status_given THEN
        -- An unknown status is treated as not given: derived below.
        IF NOT (NEW.customer_link_status IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'link_status' AND v.code = NEW.customer_link_status)) THEN
            NEW.customer_link_status := dbguard.vocabulary_value('customer_link_sync', '{{ mode }}', 'link_status',
                NEW.customer_link_status, NULL, 'call', 'public.calls', 'customer_link_status', NEW.id::pg_catalog.text);
        END IF;
    END IF;

    v_target := NEW;
    IF NEW.customer_id IS NOT NULL THEN
        IF v_customer_changed THEN
            v_target.customer_link_status := 'linked';
            IF v_insert OR NEW.customer_linked_at IS NOT DISTINCT FROM OLD.customer_linked_at THEN
                v_target.customer_linked_at := coalesce(CASE WHEN v_insert THEN NEW.customer_linked_at END, pg_catalog.now());
            END IF;
            IF NOT v_insert AND NEW.customer_link_method IS NOT DISTINCT FROM OLD.customer_link_method THEN
                v_target.customer_link_method := NULL;
            END IF;
            IF NOT v_insert AND NEW.customer_link_confidence IS NOT DISTINCT FROM OLD.customer_link_confidence THEN
                v_target.customer_link_confidence := NULL;
            END IF;
            v_target.customer_link_method := coalesce(v_target.customer_link_method, 'phone_match');
            v_target.customer_link_confidence := coalesce(v_target.customer_link_confidence, 100.00);
        ELSIF NEW.customer_link_status IS DISTINCT FROM 'linked' THEN
            -- The customer stayed but the status is not linked: a written
            -- status contradicts customer_id; a NULL one is just not known.
            v_target.customer_link_status := 'linked';
            v_target.customer_linked_at := coalesce(NEW.customer_linked_at, pg_catalog.now());
            v_contradiction := NEW.customer_link_status IS NOT NULL;
        END IF;
    ELSE
        IF NEW.customer_link_status = 'linked' THEN
            -- Unless this statement cleared the customer, a link is claimed without one.
            v_target.customer_link_status := 'unlinked';
            v_contradiction := v_insert OR v_status_given OR NOT v_customer_changed;
        ELSIF NEW.customer_link_status IS NULL THEN
            v_target.customer_link_status := 'unlinked';
        END IF;
        IF NOT v_insert AND v_customer_changed THEN
            -- The old link's details describe a link that no longer exists.
            v_target.customer_linked_at := NULL;
            v_target.customer_link_method := NULL;
            v_target.customer_link_confidence := NULL;
        END IF;
    END IF;
{%- if mode == 'alert' %}
    IF NOT (NEW.customer_link_status IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'link_status' AND v.code = NEW.customer_link_status)) THEN
        -- Already alerted as a vocabulary violation.
        v_target.customer_link_status := NEW.customer_link_status;
        v_contradiction := false;
    END IF;
{%- endif %}

    IF (v_target.customer_link_status, v_target.customer_linked_at, v_target.customer_link_method, v_target.customer_link_confidence)
       IS NOT DISTINCT FROM (NEW.customer_link_status, NEW.customer_linked_at, NEW.customer_link_method, NEW.customer_link_confidence) THEN
        RETURN NEW;
    END IF;

    IF v_contradiction THEN
        PERFORM dbguard.rule_violation('customer_link_sync', '{{ mode }}', '23Q01', 'customer_link_mismatch', 'call', NEW.id::pg_catalog.text,
            pg_catalog.format('dbguard: public.calls row %s has customer_link_status = %s but customer_id = %s',
                              coalesce(NEW.id::pg_catalog.text, '(new row)'), pg_catalog.quote_nullable(NEW.customer_link_status),
                              coalesce(NEW.customer_id::pg_catalog.text, 'NULL')),
            'rule customer_link_sync: a call is linked exactly when customer_id is set.',
            'Set customer_id to link a customer (the status follows), or clear customer_id to unlink; do not write customer_link_status by itself.',
            pg_catalog.jsonb_build_object(
                'customer_id', NEW.customer_id,
                'written', pg_catalog.jsonb_build_object('customer_link_status', NEW.customer_link_status,
                    'customer_linked_at', NEW.customer_linked_at, 'customer_link_method', NEW.customer_link_method,
                    'customer_link_confidence', NEW.customer_link_confidence),
                'expected', pg_catalog.jsonb_build_object('customer_link_status', v_target.customer_link_status,
                    'customer_linked_at', v_target.customer_linked_at, 'customer_link_method', v_target.customer_link_method,
                    'customer_link_confidence', v_target.customer_link_confidence)),
            'calls', 'customer_link_status');
    END IF;
{%- if mode != 'alert' %}
    NEW := v_target;
{%- endif %}
END
