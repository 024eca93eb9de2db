"""One router per feature: ops, auth, chat, ratings, campaigns, arena (blind A/B), admin, openai_api."""
