"""Answering stage: Korean question → structured query on the facts store → cited, checked answer."""
