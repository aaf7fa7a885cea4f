-- Server-side booking loop for benchmarks/instructions.py (hand): the statements of booking_hand.sql.
CREATE OR REPLACE PROCEDURE public.bench_loop(p_n int, INOUT r text DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
  v_call bigint; v_lead int; v_day int; v_appt bigint; v_start timestamptz; t0 timestamptz := clock_timestamp();
BEGIN
  PERFORM setseed(0.42);
  SET LOCAL synchronous_commit = off;
  FOR i IN 1..p_n LOOP
    v_lead := 1 + (random() * 9999)::int; v_day := 1 + (random() * 59)::int;
    INSERT INTO public.calls (company_id, direction, customer_link_status) VALUES (1, 'inbound', 'unlinked') RETURNING id INTO v_call;
    INSERT INTO public.appointments (company_id, call_id, lead_id, starts_at, ends_at, status, source, booking_source, created_by, status_changed_at)
    VALUES (1, v_call, v_lead, now() + v_day * interval '1 day', now() + v_day * interval '1 day' + interval '30 min',
            'scheduled', 'retell_webhook', 'retell_webhook', 'retell_ai', now())
    RETURNING id, starts_at INTO v_appt, v_start;
    UPDATE public.calls SET booking_confirmed = true, session_outcome = 'appointment_booked', appointment_made = true,
           appointment_id = v_appt, appointment_link_status = 'linked', appointment_linked_at = now()
     WHERE id = v_call;
    INSERT INTO public.appointment_events (appointment_id, lead_id, call_id, event, new_status, new_starts_at, actor, source)
    VALUES (v_appt, v_lead, v_call, 'created', 'scheduled', now() + v_day * interval '1 day', 'retell_ai', 'retell_webhook');
    UPDATE public.leads SET appointment_id = v_appt, appointment_start_at = now() + v_day * interval '1 day',
           appointment_end_at = now() + v_day * interval '1 day' + interval '30 min', appointment_status = 'scheduled',
           appointment_source = 'retell_webhook', appointment_last_checked_at = now()
     WHERE id = v_lead AND (appointment_start_at IS NULL OR appointment_start_at > now() + v_day * interval '1 day');
    COMMIT;
    SET LOCAL synchronous_commit = off;
  END LOOP;
  r := format('total %s us', round((extract(epoch from clock_timestamp() - t0) / greatest(p_n, 1) * 1e6)::numeric, 1));
END $$;
