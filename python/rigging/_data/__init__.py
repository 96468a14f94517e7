"""Implementation of `rigging.data`: flat rows and DataFrames, Elasticsearch, S3 helpers."""
