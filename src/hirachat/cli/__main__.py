"""``python -m hirachat.cli``."""

from hirachat.cli import main

main()
