"""Synthetic data sets (``flask cop seed --size small|medium|large``) for demos at scale and benchmarks."""
