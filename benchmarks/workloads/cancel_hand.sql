\set appt random(1, 20000)
BEGIN;
UPDATE public.appointments SET status = 'cancelled', cancelled_at = now(), cancelled_by = 'admin_user',
       status_changed_at = now()
 WHERE id = :appt RETURNING lead_id AS lead, call_id AS call_id \gset
INSERT INTO public.appointment_events (appointment_id, lead_id, call_id, event, new_status, actor)
VALUES (:appt, :lead, :call_id, 'cancelled', 'cancelled', 'admin_user');
UPDATE public.leads SET appointment_status = 'cancelled', appointment_canceled_at = now(),
       appointment_last_checked_at = now()
 WHERE id = :lead AND appointment_id = :appt;
END;
