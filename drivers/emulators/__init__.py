"""Run device emulators on the master side of a pseudo-terminal."""
