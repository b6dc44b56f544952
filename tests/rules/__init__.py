"""Tests of the lint rules, one module per rule."""
