"""The vocabulary as data: ``hira.yaml`` (packaged) + the workspace's ``vocab.yaml``; see ``load``."""

from hirachat.vocab.load import Formula, PerUnit, Vocab, current, load_vocab, use_user_file

__all__ = ["Formula", "PerUnit", "Vocab", "current", "load_vocab", "use_user_file"]
