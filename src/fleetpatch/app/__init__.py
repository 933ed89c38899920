"""Use cases: one function per thing a user asks for; one transaction each."""
