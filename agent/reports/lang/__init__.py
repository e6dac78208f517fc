"""Report wording, one module per language (``zh`` default, ``en``), each with the same keys."""
