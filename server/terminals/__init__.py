"""Off-the-shelf face terminals as gates (ZKTeco PUSH, Hikvision ISAPI), the server side.

The protocol framing and the emulators live in the top-level `terminals` package and know
nothing of the server. Here: registration and approval, the receiving routes beside ingest, the
server's sealing of what a terminal decided (receipt.py: chained, signed and checkpointed on
receipt, marked as not device-signed), the policy re-check, the serial-gap watch, and the
project's roster pushed to each terminal as commands whose results are recorded.
"""
