"""Ingest: files on disk -> Article records with resolved links."""
