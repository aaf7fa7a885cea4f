-- Server-side booking loop for benchmarks/instructions.py (bare and guarded): the statements of
-- booking_bare.sql, one transaction per booking, a fixed random seed so every run writes the same rows.
CREATE OR REPLACE PROCEDURE public.bench_loop(p_n int, INOUT r text DEFAULT NULL)
LANGUAGE plpgsql AS $$
DECLARE
  t0 timestamptz; t1 timestamptz; t2 timestamptz; t3 timestamptz; t4 timestamptz;
  s1 float8 := 0; s2 float8 := 0; s3 float8 := 0; s4 float8 := 0;
  v_call bigint; v_lead int; v_day int;
BEGIN
  PERFORM setseed(0.42);
  SET LOCAL synchronous_commit = off;
  FOR i IN 1..p_n LOOP
    v_lead := 1 + (random() * 9999)::int; v_day := 1 + (random() * 59)::int;
    t0 := clock_timestamp();
    INSERT INTO public.calls (company_id, direction) VALUES (1, 'inbound') RETURNING id INTO v_call;
    t1 := clock_timestamp();
    INSERT INTO public.appointments (company_id, call_id, lead_id, starts_at, ends_at, status, source)
    VALUES (1, v_call, v_lead, now() + v_day * interval '1 day', now() + v_day * interval '1 day' + interval '30 min', 'scheduled', 'retell_webhook');
    t2 := clock_timestamp();
    UPDATE public.calls SET booking_confirmed = true, session_outcome = 'appointment_booked' WHERE id = v_call;
    t3 := clock_timestamp();
    COMMIT;
    SET LOCAL synchronous_commit = off;
    t4 := clock_timestamp();
    s1 := s1 + extract(epoch from t1 - t0); s2 := s2 + extract(epoch from t2 - t1);
    s3 := s3 + extract(epoch from t3 - t2); s4 := s4 + extract(epoch from t4 - t3);
  END LOOP;
  r := format('call %s  appt %s  confirm %s  commit %s  total %s us', round((s1/greatest(p_n,1)*1e6)::numeric,1), round((s2/greatest(p_n,1)*1e6)::numeric,1),
              round((s3/greatest(p_n,1)*1e6)::numeric,1), round((s4/greatest(p_n,1)*1e6)::numeric,1), round(((s1+s2+s3+s4)/greatest(p_n,1)*1e6)::numeric,1));
END $$;
