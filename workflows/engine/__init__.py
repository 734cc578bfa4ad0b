"""The workflow engine's decisions: plain Python over plain data, no models, no database.

The ORM layer (`workflows.runtime`) loads, locks and saves around these modules.
"""
