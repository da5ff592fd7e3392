"""Training: strategies, the custom distributed loop, the trained-model directory and its evaluation."""
