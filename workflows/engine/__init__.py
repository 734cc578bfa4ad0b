"""The workflow engine's decisions: plain Python over plain data, no models, no database.

The ORM layer (`workflows/orchestrator.py`) loads, locks and saves around these modules;
`workflows/step_actions.py` carries out the steps declared in `steps.py`.
"""
