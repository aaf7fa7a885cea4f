-- The same booking, with the consistency writes done by the application itself:
-- lifecycle columns, the call's link and flags, a history row, the lead rollup.
\set lead random(1, 10000)
\set day random(1, 60)
BEGIN;
INSERT INTO public.calls (company_id, direction, customer_link_status) VALUES (1, 'inbound', 'unlinked') RETURNING id AS call_id \gset
INSERT INTO public.appointments (company_id, call_id, lead_id, starts_at, ends_at, status, source,
                                 booking_source, created_by, status_changed_at)
VALUES (1, :call_id, :lead, now() + :day * interval '1 day', now() + :day * interval '1 day' + interval '30 min',
        'scheduled', 'retell_webhook', 'retell_webhook', 'retell_ai', now())
RETURNING id AS appt_id, starts_at AS appt_start \gset
UPDATE public.calls SET booking_confirmed = true, session_outcome = 'appointment_booked', appointment_made = true,
       appointment_id = :appt_id, appointment_link_status = 'linked', appointment_linked_at = now()
 WHERE id = :call_id;
INSERT INTO public.appointment_events (appointment_id, lead_id, call_id, event, new_status, new_starts_at, actor, source)
VALUES (:appt_id, :lead, :call_id, 'created', 'scheduled', now() + :day * interval '1 day', 'retell_ai', 'retell_webhook');
UPDATE public.leads SET appointment_id = :appt_id, appointment_start_at = now() + :day * interval '1 day',
       appointment_end_at = now() + :day * interval '1 day' + interval '30 min', appointment_status = 'scheduled',
       appointment_source = 'retell_webhook', appointment_last_checked_at = now()
 WHERE id = :lead AND (appointment_start_at IS NULL OR appointment_start_at > now() + :day * interval '1 day');
END;
