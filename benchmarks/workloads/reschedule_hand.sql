\set appt random(1, 20000)
BEGIN;
UPDATE public.appointments SET starts_at = starts_at + interval '1 day', ends_at = ends_at + interval '1 day',
       rescheduled_at = now(), rescheduled_by = 'admin_user'
 WHERE id = :appt RETURNING lead_id AS lead, call_id AS call_id \gset
INSERT INTO public.appointment_events (appointment_id, lead_id, call_id, event, old_starts_at, new_starts_at, actor)
SELECT id, lead_id, call_id, 'rescheduled', starts_at - interval '1 day', starts_at, 'admin_user'
  FROM public.appointments WHERE id = :appt;
UPDATE public.leads l SET appointment_start_at = a.starts_at, appointment_end_at = a.ends_at,
       appointment_last_checked_at = now()
  FROM public.appointments a
 WHERE l.id = :lead AND a.id = :appt AND l.appointment_id = :appt;
END;
