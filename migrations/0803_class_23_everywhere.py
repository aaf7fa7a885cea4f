"""Every refusal in SQLSTATE class 23 (23Qnn): the functions that raised their own errors with the former class "DG" codes; staff_tenant_isolation also refuses any table but its two."""
from dbguard import steps

step(*steps.functions("acting_user_id", "breaker_lock", "breaker_reset", version=2))
step(*steps.functions("tg_vocabularies__pinned_codes", version=3))
step(*steps.rule("staff_tenant_isolation", 2))
