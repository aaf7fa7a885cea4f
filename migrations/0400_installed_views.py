"""dbguard.installed_views: the audit views are rendered and installed at the end of every migrate."""
from dbguard import steps

step(*steps.schema("0400_installed_views"))
