"""The reporting agent: push a host's report to the server, spool what could not be sent, and
the systemd units that run it daily and after every package transaction."""
