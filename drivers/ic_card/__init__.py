"""Worker IC-card readers on serial ports: card-number lines, or RDM6300-style frames."""
