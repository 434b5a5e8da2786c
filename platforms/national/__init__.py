"""The national platform's OpenAPI conventions (issue 16): one form POST per call."""
