"""`make bench` (manage.py bench_engine): the engine against an honest plain-SQL floor,
interleaved in chunks, and an end-to-end run over HTTP, Celery and Redis.

It drives the engine only through its stable seams: the conversation services (writing
messages), `workflows.processing.process_conversation_events(conversation_id)` and the
REST API; whatever the engine does inside, the bench keeps measuring it.
"""
