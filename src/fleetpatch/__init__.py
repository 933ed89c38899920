"""fleetpatch: predictable, owned and visible OS patching for a whole fleet."""

__version__ = "0.1.0"
