"""Transports at the bottom of the house: SSH (asyncssh, the `ssh` extra, imported lazily)."""
