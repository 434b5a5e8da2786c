"""Shared contracts spoken by edge and server. Pure pydantic; imports nothing of ours."""
