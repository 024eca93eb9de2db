"""Training stage: LoRA/QLoRA supervised fine-tuning on the QA dataset (transformers + PEFT + TRL)."""
