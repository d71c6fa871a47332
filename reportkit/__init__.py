"""Infrastructure of the report: results, cache, rendering. Knows nothing about neural networks."""
