"""calcom_host_mappings.company_id (the host's company) and the audit's actor/db_user columns."""
from dbguard import steps

step(*steps.schema("0300_host_mappings"))
