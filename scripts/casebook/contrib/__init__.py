"""Helpers for contributors: drafts from answers, Word documents and issue forms; generated guide parts. Imports only core."""
