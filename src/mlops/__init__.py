"""MLOps: tracked runs, the model registry and its quality gate, the prediction log, drift and estimated performance."""
