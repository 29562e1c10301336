"""Ask this portfolio: hybrid retrieval over the project's own documents, cited answers from a local model."""
