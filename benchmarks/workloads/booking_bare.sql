-- The application's minimum: create the call, create the appointment, confirm the call.
\set lead random(1, 10000)
\set day random(1, 60)
BEGIN;
INSERT INTO public.calls (company_id, direction) VALUES (1, 'inbound') RETURNING id AS call_id \gset
INSERT INTO public.appointments (company_id, call_id, lead_id, starts_at, ends_at, status, source)
VALUES (1, :call_id, :lead, now() + :day * interval '1 day', now() + :day * interval '1 day' + interval '30 min',
        'scheduled', 'retell_webhook');
UPDATE public.calls SET booking_confirmed = true, session_outcome = 'appointment_booked' WHERE id = :call_id;
END;
