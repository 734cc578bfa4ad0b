"""The workflow engine's decisions: plain Python over plain data, no models, no database.

`planner` decides what an event does (DESIGN.md §6); `executor` runs a workflow's steps
behind a port; `rules` and `definitions` compile documents. The ORM layer
(`workflows.orchestrator`) loads, locks, applies the plan and saves around them.
`steps` declares each step type once; `workflows/step_actions.py` carries them out.
"""
