"""Benchmarks (not tests): each hot path beside a baseline measured in the same run."""
