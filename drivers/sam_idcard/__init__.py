"""二代身份证 SAM_V serial protocol (GA 467 business-terminal interface)."""
