"""The web app: chat, expert evaluation (ratings, campaigns, blind A/B), an OpenAI-compatible API.

``app.create_app`` builds the FastAPI app; one router per feature lives in ``routers/``; ``models`` and
``migrations/`` own the database; ``answers`` bridges to the answering stack; ``stats`` holds the
agreement and Bradley-Terry statistics; ``static/`` is the Korean UI (no file from the internet).
"""
