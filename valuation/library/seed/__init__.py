"""Seed files of the five libraries and their loader."""
