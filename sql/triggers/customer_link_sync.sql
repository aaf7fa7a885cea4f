-- rule: customer_link_sync
-- version: 5
-- function: dbguard.tg_calls__customer_link_sync()
-- guarantees: customer_id set or changed -> customer_link_status 'linked', customer_linked_at now(), method phone_match and confidence 100.00 unless given; cleared -> 'unlinked'; link status and method inside their vocabularies.

-- Keeps a call's customer-link columns in line with calls.customer_id
-- (see docs/rules/customer_link_sync.md for each mode).
CREATE OR REPLACE FUNCTION dbguard.tg_calls__customer_link_sync()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_mode text := dbguard.rule_mode('customer_link_sync');
    v_insert boolean := TG_OP = 'INSERT';
    v_customer_changed boolean;
    v_status_given boolean;
    v_target public.calls;
    v_contradiction boolean := false;
BEGIN
    IF TG_RELID <> 'public.calls'::pg_catalog.regclass THEN
        RAISE EXCEPTION 'dbguard: dbguard.tg_calls__customer_link_sync() is a trigger of public.calls only, not of %.%', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = '42501',
                  HINT = 'dbguard''s trigger functions run as their owner and refuse any other table.';
    END IF;
    IF v_mode = 'off' THEN
        RETURN NEW;
    END IF;
    v_customer_changed := v_insert OR NEW.customer_id IS DISTINCT FROM OLD.customer_id;
    -- "Given" = written by this statement: on insert any non-NULL value, on
    -- update a value that differs from the stored one.
    v_status_given := NOT v_insert AND NEW.customer_link_status IS DISTINCT FROM OLD.customer_link_status;

    IF v_insert OR NEW.customer_link_method IS DISTINCT FROM OLD.customer_link_method THEN
        IF NOT (NEW.customer_link_method IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'customer_link_method' AND v.code = NEW.customer_link_method)) THEN
            NEW.customer_link_method := dbguard.vocabulary_value('customer_link_sync', v_mode, 'customer_link_method',
                NEW.customer_link_method, NULL, 'call', 'public.calls', 'customer_link_method', NEW.id::text);
        END IF;
    END IF;
    IF v_insert OR v_status_given THEN
        -- An unknown status is treated as not given: derived below.
        IF NOT (NEW.customer_link_status IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'link_status' AND v.code = NEW.customer_link_status)) THEN
            NEW.customer_link_status := dbguard.vocabulary_value('customer_link_sync', v_mode, 'link_status',
                NEW.customer_link_status, NULL, 'call', 'public.calls', 'customer_link_status', NEW.id::text);
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
    IF v_mode = 'alert' AND NOT (NEW.customer_link_status IS NULL OR EXISTS (SELECT 1 FROM dbguard.vocabularies v WHERE v.vocabulary = 'link_status' AND v.code = NEW.customer_link_status)) THEN
        -- Already alerted as a vocabulary violation.
        v_target.customer_link_status := NEW.customer_link_status;
        v_contradiction := false;
    END IF;

    IF (v_target.customer_link_status, v_target.customer_linked_at, v_target.customer_link_method, v_target.customer_link_confidence)
       IS NOT DISTINCT FROM (NEW.customer_link_status, NEW.customer_linked_at, NEW.customer_link_method, NEW.customer_link_confidence) THEN
        RETURN NEW;
    END IF;

    IF v_contradiction THEN
        PERFORM dbguard.rule_violation('customer_link_sync', v_mode, '23Q01', 'customer_link_mismatch', 'call', NEW.id::text,
            pg_catalog.format('dbguard: public.calls row %s has customer_link_status = %s but customer_id = %s',
                              coalesce(NEW.id::text, '(new row)'), pg_catalog.quote_nullable(NEW.customer_link_status),
                              coalesce(NEW.customer_id::text, 'NULL')),
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
    IF v_mode = 'alert' THEN
        RETURN NEW;
    END IF;
    RETURN v_target;
END
$$;
REVOKE ALL ON FUNCTION dbguard.tg_calls__customer_link_sync() FROM PUBLIC;

-- Fires unless the new call has nothing to link or check: no customer, status
-- 'unlinked', no method. "IS NOT TRUE": NULLs fire it.
CREATE OR REPLACE TRIGGER dbguard_200_customer_link_sync
    BEFORE INSERT ON public.calls
    FOR EACH ROW
    WHEN ((NEW.customer_id IS NULL AND NEW.customer_link_status = 'unlinked' AND NEW.customer_link_method IS NULL)
          IS NOT TRUE)
    EXECUTE FUNCTION dbguard.tg_calls__customer_link_sync();

CREATE OR REPLACE TRIGGER dbguard_200_customer_link_sync_update
    BEFORE UPDATE OF customer_id, customer_link_status, customer_linked_at, customer_link_method,
                     customer_link_confidence
    ON public.calls
    FOR EACH ROW
    EXECUTE FUNCTION dbguard.tg_calls__customer_link_sync();
