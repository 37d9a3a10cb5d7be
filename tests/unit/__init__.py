"""Unit tests of the Textual-free core."""
