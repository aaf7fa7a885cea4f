-- The mapping a company uses for a calendar host: active, and its staff is
-- active and (still) works for that company. Mapped by hand ('admin',
-- 'manual') beats matched automatically, then higher confidence, then newer.
-- Used by resolve_staff_for_host and the host_staff_assignment rule alike.
CREATE OR REPLACE FUNCTION dbguard.active_host_mapping(p_company_id bigint, p_host_id integer)
RETURNS bigint
LANGUAGE sql
STABLE
SET search_path = ''
AS $$
    SELECT m.id
      FROM public.calcom_host_mappings m
      JOIN public.staff s ON s.id = m.staff_id
     WHERE m.calcom_host_id = p_host_id
       AND m.is_active
       AND s.is_active
       AND s.company_id = p_company_id
       AND (m.company_id IS NULL OR m.company_id = p_company_id)
     ORDER BY coalesce(m.mapping_source IN ('admin', 'manual'), false) DESC,
              m.confidence_score DESC NULLS LAST,
              m.id DESC
     LIMIT 1
$$;
