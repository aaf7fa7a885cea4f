-- Priority of a review reason (1 = most urgent), as DESIGN.md §2 fixes it.
CREATE OR REPLACE FUNCTION dbguard.review_priority(p_reason text)
RETURNS smallint
LANGUAGE sql
IMMUTABLE
SET search_path = ''
AS $$
    SELECT (CASE p_reason
                WHEN 'appointment_validation_failed' THEN 1
                WHEN 'calcom_booking_failed' THEN 2
                WHEN 'customer_creation_failed' THEN 3
                WHEN 'service_not_found' THEN 4
                ELSE 5
            END)::smallint
$$;
