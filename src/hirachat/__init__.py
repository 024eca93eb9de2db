"""hira-chat: HIRA statistics → facts store → grounded Korean QA, fine-tuning and evaluation."""

__version__ = "0.1.0"
