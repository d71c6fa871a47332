"""The PyTorch pieces of Q6: models (SqueezeNet included), the training loop, schedules and image transforms."""
