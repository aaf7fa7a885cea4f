"""Controlled vocabularies (DESIGN.md §1.2) and the source -> lifecycle mapping."""
from dbguard import steps

step(*steps.schema("0003_vocabularies"))
