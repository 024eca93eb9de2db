"""Dataset stage: facts store → Korean instruction QA pairs → clean → leak-free train/val/test."""
