"""One module per chapter of the EDA story; each has ``SLUG`` and ``build(scope, card) -> Chapter``."""
