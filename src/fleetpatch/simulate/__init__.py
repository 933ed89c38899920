"""Simulation and generated fleets: named fakes for benchmarks, tests and the demo."""
