"""Training: datasets, fine-tuning and export. Run offline by maintainers; needs the [train] extra."""
