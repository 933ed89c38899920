"""Runs, pure: records, the state machine, step plans, rate control and window arithmetic.

No I/O and no clock: the store persists these records and the engine (`fleetpatch.orchestrate`)
feeds them the time, the window and what the store holds, then carries out what they decide.
"""
