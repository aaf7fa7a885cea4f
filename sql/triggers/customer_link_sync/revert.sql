-- Removes every version of customer_link_sync.
DROP TRIGGER IF EXISTS dbguard_200_customer_link_sync ON public.calls;
DROP FUNCTION IF EXISTS dbguard.tg_calls__customer_link_sync();
SELECT dbguard.unregister_rule('customer_link_sync');
