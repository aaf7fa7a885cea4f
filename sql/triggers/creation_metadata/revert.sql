-- Removes every version of creation_metadata.
DROP TRIGGER IF EXISTS dbguard_100_creation_metadata ON public.appointments;
DROP FUNCTION IF EXISTS dbguard.tg_appointments__creation_metadata();
SELECT dbguard.unregister_rule('creation_metadata');
